"""The README's hero figure: fur at 4x by bicubic interpolation, SRResNet and SRGAN.

    python scripts/make_readme_figure.py [--out book/images/hero.png]

Uses the shipped weights (`srresnet_x4`; `srgan_x4`, the shipped SRGAN) and Set14's baboon (shipped with the
package; fur is where SRGAN's texture shows and SRResNet's average blurs), degraded with the paper's MATLAB
bicubic; PSNR is on Y with a 4-pixel border shaved (the book's protocol).
"""
from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
from srgan_lite import (bicubic_degrade, imresize_uint8, load_pretrained, modcrop, psnr_image,  # noqa: E402
                        read_image, resolve_dataset, super_resolve, viz)

CROP = (264, 24, 192, 192)  # top, left, height, width in HR pixels of the baboon: nose, cheek fur, whiskers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("book/images/hero.png"))
    args = parser.parse_args()
    top, left, height, width = CROP
    hr = modcrop(read_image(resolve_dataset("Set14") / "baboon.png"), 4)[top:top + height, left:left + width]
    lr = bicubic_degrade(hr, 4)
    panels = {"bicubic": imresize_uint8(lr, 4),
              "SRResNet (srresnet_x4)": super_resolve(load_pretrained("srresnet_x4"), lr),
              "SRGAN (srgan_x4)": super_resolve(load_pretrained("srgan_x4"), lr)}
    scores = {name: psnr_image(image, hr, shave=4) for name, image in panels.items()}
    for name, value in scores.items():
        print(f"{name}: {value:.2f} dB (Y, 4 px shaved)")
    titles = [f"{name}\n{value:.2f} dB" for name, value in scores.items()]
    fig = viz.show_images([lr, *panels.values(), hr], [f"input, {lr.shape[1]}x{lr.shape[0]}", *titles, "original"],
                          zoom_box=(60, 100, 48, 48), figsize=(15, 3.6),
                          suptitle="4x super-resolution with the weights shipped in srgan_lite (PSNR on Y)")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=90, bbox_inches="tight")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
