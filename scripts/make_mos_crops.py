"""The crops of the book's mean-opinion-score page (book/mos.md): every method on the same Set5/Set14 regions.

    python scripts/make_mos_crops.py [--data-dir DIR] [--out book/_static/mos]

For each region below (a square of HR pixels of the mod-cropped HR image) it writes one PNG per method:
nearest neighbour, MATLAB-exact bicubic, every shipped generator of ``MODELS`` that is in the weights
registry (a missing one is skipped with a note: rerun the script once it ships), and the original HR.
The LR input is the benchmark degradation of the whole image (``bicubic_degrade``: modcrop to 4, then
MATLAB bicubic 1/4), exactly what chapter 10 evaluates on; each method then super-resolves only an LR window
around the region (``--pad`` LR pixels of context on every side, clamped at the image border) and the
region is cut out of its output, so the script runs in seconds on a CPU (with the default 12 px, the
``srresnet_x4`` crops of baboon and face differ from whole-image super-resolution by at most 1 grey level, on
0.1% of their pixels: ``srresnet_x4``'s 40-pixel receptive field carries almost no weight at its edge). Two more regions give the
calibration anchors (nearest = score 1, HR = score 5), as in the paper's protocol (Sec. 3.4).

``manifest.json`` records, for every crop, its file, image, set, box, method, weights and their sha256,
and how the LR was made; the page reads it, so rerunning the script updates the page. File names of the
rated crops are opaque (a hash of region and method), so that the method is not in the image's URL.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

from srgan_lite import (
    SRGANLiteError,
    bicubic_degrade,
    imresize_uint8,
    load_pretrained,
    modcrop,
    read_image,
    resolve_dataset,
    super_resolve,
)
from srgan_lite.models.pretrained import registry, weights_path
from srgan_lite.utils import sha256_file

ROOT = Path(__file__).resolve().parents[1]
SCALE = 4
SIZE = 128  # HR pixels: each crop is SIZE x SIZE, shown at 384 x 384 CSS px on the page

#: Rated regions: (id, set, image, x, y) with (x, y) the top-left corner in HR pixels, multiples of SCALE.
REGIONS = (
    ("baboon-fur", "Set14", "baboon", 20, 300),      # fur and whiskers beside the nose
    ("zebra-stripes", "Set14", "zebra", 256, 64),    # stripes of the back and flank
    ("comic-headdress", "Set14", "comic", 56, 64),   # a drawing: silver ornaments, thin dark lines
    ("face-eye", "Set14", "face", 120, 120),         # skin, freckles, an eye, lashes
    ("barbara-cloth", "Set14", "barbara", 16, 320),  # a checked tablecloth: fine regular texture
    ("bird-head", "Set5", "bird", 128, 16),          # feathers, an eye, the beak's edge
    ("butterfly-wing", "Set5", "butterfly", 96, 64),  # wing veins and spots
    ("baby-eye", "Set5", "baby", 100, 140),          # skin, an eye, eyelashes
)
#: Calibration regions (not rated): shown as nearest (score 1) and HR (score 5) before the run.
CALIBRATION = (
    ("man-calibration", "Set14", "man", 144, 40),         # a face under a hat, feathers
    ("flowers-calibration", "Set14", "flowers", 220, 20),  # petals, a flower's heart
)
#: Shipped generators, in the order of the page's table, with the row of the paper they correspond to.
MODELS = (
    ("srresnet_x4", "SRResNet", "SRResNet (MSE), the paper's Table 2"),
    ("srgan_mse_x4", "SRGAN-MSE", "SRGAN with the MSE content loss, the paper's Table 1"),
    ("srgan_x4", "SRGAN", "SRGAN, the paper's Table 2 (ours: Lite0 content loss, the recipe of chapter 8b)"),
)
LR_DEGRADATION = ("srgan_lite.data.imresize.bicubic_degrade(HR, 4): HR mod-cropped to a multiple of 4, then MATLAB "
                  "imresize 1/4 (bicubic, antialiased, replicate borders, uint8 after each pass) of the whole image")


def window(lr: np.ndarray, x: int, y: int, pad: int) -> tuple[np.ndarray, int, int]:
    """The LR window around the HR box at (x, y) with ``pad`` LR pixels of context, and the box's offset in it (HR px)."""
    h, w = lr.shape[:2]
    x0, y0 = x // SCALE, y // SCALE
    n = SIZE // SCALE
    left, top = max(x0 - pad, 0), max(y0 - pad, 0)
    right, bottom = min(x0 + n + pad, w), min(y0 + n + pad, h)
    return lr[top:bottom, left:right], (x0 - left) * SCALE, (y0 - top) * SCALE


def cut(image: np.ndarray, dx: int, dy: int) -> np.ndarray:
    return np.ascontiguousarray(image[dy:dy + SIZE, dx:dx + SIZE])


def crop_id(region: str, method: str) -> str:
    return "c" + hashlib.sha256(f"{region}/{method}".encode()).hexdigest()[:10]


def save_png(image: np.ndarray, path: Path) -> str:
    Image.fromarray(image).save(path, optimize=True)
    return sha256_file(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="root of <Name>/HR/*.png (default: srgan_lite.data.datasets.resolve_dataset's own search)")
    parser.add_argument("--out", type=Path, default=ROOT / "book" / "_static" / "mos",
                        help="folder for manifest.json and crops/ (default: book/_static/mos)")
    parser.add_argument("--pad", type=int, default=12, help="LR pixels of context around each region (default 12)")
    args = parser.parse_args(argv)
    if SIZE % SCALE:
        parser.error(f"SIZE {SIZE} must be a multiple of {SCALE}")
    start = time.perf_counter()
    crops_dir = args.out / "crops"
    crops_dir.mkdir(parents=True, exist_ok=True)

    registered = registry()
    models, skipped = {}, []
    for name, paper, about in MODELS:
        if name not in registered:
            skipped.append(name)
            print(f"note: {name} is not in srgan_lite/weights/registry.json yet: skipped (rerun this script once it ships)")
            continue
        path = weights_path(name)  # verifies the registry's sha256
        models[name] = {"model": load_pretrained(name), "sha256": sha256_file(path), "file": path.name,
                        "paper": paper, "about": about, "description": registered[name].get("description", "")}

    methods = [{"method": "nearest", "label": "nearest neighbour", "paper": "nearest", "model": None},
               {"method": "bicubic", "label": "bicubic (MATLAB)", "paper": "bicubic", "model": None}]
    methods += [{"method": name, "label": f"{m['paper']} ({name})", "paper": m["paper"], "model": name,
                 "weights_file": m["file"], "weights_sha256": m["sha256"], "description": m["description"]}
                for name, m in models.items()]
    methods.append({"method": "HR", "label": "original (HR)", "paper": "HR", "model": None})

    images: dict[tuple[str, str], np.ndarray] = {}

    def hr_image(dataset: str, name: str) -> tuple[np.ndarray, Path]:
        folder = resolve_dataset(dataset, data_dir=args.data_dir)
        path = next((p for p in sorted(folder.iterdir()) if p.stem == name), None)
        if path is None:
            raise SystemExit(f"{dataset} in {folder} has no image named {name!r}")
        if (dataset, name) not in images:
            images[dataset, name] = modcrop(read_image(path), SCALE)
        return images[dataset, name], path

    def outputs(dataset: str, name: str, x: int, y: int, wanted: list[str]) -> dict[str, np.ndarray]:
        hr, _ = hr_image(dataset, name)
        if x % SCALE or y % SCALE or x + SIZE > hr.shape[1] or y + SIZE > hr.shape[0]:
            raise SystemExit(f"region ({x}, {y}) of {name} ({hr.shape[1]}x{hr.shape[0]}) is off the image or the LR grid")
        lr = bicubic_degrade(hr, SCALE)
        lr_win, dx, dy = window(lr, x, y, args.pad)
        result = {}
        for method in wanted:
            if method == "HR":
                result[method] = np.ascontiguousarray(hr[y:y + SIZE, x:x + SIZE])
            elif method == "nearest":
                result[method] = cut(np.repeat(np.repeat(lr_win, SCALE, axis=0), SCALE, axis=1), dx, dy)
            elif method == "bicubic":
                result[method] = cut(imresize_uint8(lr_win, SCALE), dx, dy)
            else:
                result[method] = cut(super_resolve(models[method]["model"], lr_win), dx, dy)
        return result

    def entry(kind: str, region: str, dataset: str, name: str, x: int, y: int, method: str, file: str, digest: str) -> dict:
        m = next(m for m in methods if m["method"] == method)
        return {"id": file.split("/")[-1].removesuffix(".png"), "kind": kind, "file": file, "png_sha256": digest,
                "region": region, "set": dataset, "image": name, "box": {"x": x, "y": y, "width": SIZE, "height": SIZE},
                "method": method, "model": m["model"], "weights_sha256": m.get("weights_sha256")}

    crops, calibration, written = [], [], set()
    for region, dataset, name, x, y in REGIONS:
        for method, image in outputs(dataset, name, x, y, [m["method"] for m in methods]).items():
            file = f"crops/{crop_id(region, method)}.png"
            crops.append(entry("rated", region, dataset, name, x, y, method, file, save_png(image, args.out / file)))
            written.add(file)
        print(f"{region:18s} {dataset}/{name}: {len(methods)} crops")
    for region, dataset, name, x, y in CALIBRATION:
        out = outputs(dataset, name, x, y, ["nearest", "HR"])
        pair = {}
        for method, score in (("nearest", 1), ("HR", 5)):
            file = f"crops/{region}-{method.lower()}.png"
            pair[method] = {**entry("calibration", region, dataset, name, x, y, method, file, save_png(out[method], args.out / file)),
                            "score": score}
            written.add(file)
        calibration.append({"region": region, "set": dataset, "image": name, "nearest": pair["nearest"], "HR": pair["HR"]})
        print(f"{region:18s} {dataset}/{name}: calibration (nearest = 1, HR = 5)")
    for stale in crops_dir.glob("*.png"):
        if f"crops/{stale.name}" not in written:
            stale.unlink()
            print(f"removed stale {stale.relative_to(args.out)}")

    manifest = {
        "about": "Crops for the book's mean-opinion-score page (book/mos.md), made by scripts/make_mos_crops.py; "
                 "regenerate with `python scripts/make_mos_crops.py`.",
        "generated_by": "scripts/make_mos_crops.py",
        "scale": SCALE,
        "crop_size": SIZE,
        "box_coordinates": "HR pixels of the HR image mod-cropped to a multiple of the scale; x, y = top-left corner",
        "lr": {"degradation": LR_DEGRADATION, "context_pad_lr_px": args.pad,
               "how": f"each method upsamples the LR window around the box ({args.pad} LR px of context per side, "
                      "clamped at the image border) and the box is cut from its output; nearest = pixel repetition, "
                      "bicubic = srgan_lite.data.imresize.imresize_uint8(LR window, 4) (MATLAB imresize), models = "
                      "srgan_lite.inference.super_resolve(load_pretrained(name), LR window) on the CPU"},
        "methods": methods,
        "skipped_models": skipped,
        "regions": [{"region": r, "set": s, "image": n, "box": {"x": x, "y": y, "width": SIZE, "height": SIZE}}
                    for r, s, n, x, y in REGIONS],
        "calibration": calibration,
        "crops": crops,
    }
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    total = sum((args.out / f).stat().st_size for f in written) + (args.out / "manifest.json").stat().st_size
    print(f"wrote {args.out / 'manifest.json'}: {len(crops)} rated crops ({len(REGIONS)} regions x {len(methods)} methods), "
          f"{2 * len(calibration)} calibration images, {total / 1e6:.2f} MB, in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SRGANLiteError as error:  # a set not found, weights failing their check: one line, not a traceback
        sys.exit(f"make_mos_crops.py: {error}")
