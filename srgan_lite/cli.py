"""``srgan-lite``: train, eval, upscale, data. Thin: parse arguments, call the library, print.

Errors a user can cause print one line (``error: ...``) and exit with status 2; ``--debug`` shows
the traceback.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import SRGANLiteError


def _add_train(sub) -> None:
    p = sub.add_parser("train", help="train SRResNet (MSE) or SRGAN (perceptual loss)")
    p.add_argument("--stage", choices=["srresnet", "srgan"], default="srresnet")
    p.add_argument("--profile", choices=["quick", "paper", "texture"], default="quick")
    p.add_argument("--config", dest="config_file", help="YAML file with fields to override (see configs/)")
    p.add_argument("--data", help="training set: a name (skimage, DIV2K_train_HR, ...), a folder, or several joined by ','")
    p.add_argument("--val", help="validation set name or folder ('none' to skip)")
    p.add_argument("--data-dir", help="root of downloaded datasets (default $SRGAN_LITE_DATA or ~/.cache/srgan_lite)")
    p.add_argument("--out", required=True, help="run folder: config, history.csv, checkpoints, generator.safetensors")
    p.add_argument("--init", help="generator weights to start from (registered name or .safetensors)")
    p.add_argument("--resume", action="store_true", help="continue from the newest checkpoint in --out")
    p.add_argument("--steps", type=int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--patch-size", type=int, help="HR crop size (paper: 96)")
    p.add_argument("--device", help="auto, cpu, cuda or cuda:N")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override any config field, e.g. --set optim.lr=1e-5 (repeatable)")
    p.add_argument("--print-config", action="store_true", help="print the resolved config as YAML and exit")


def _add_eval(sub) -> None:
    p = sub.add_parser("eval", help="PSNR/SSIM (and what PSNR misses) on benchmark sets under the stated protocol")
    p.add_argument("--model", action="append", required=True,
                   help="nearest, bicubic, a registered weights name, or a .safetensors file (repeatable)")
    p.add_argument("--dataset", action="append", required=True, help="Set5, Set14, BSD100, Urban100, texture:gravel (held-out tiles), or a folder of HR images (repeatable)")
    p.add_argument("--data-dir", help="root of the datasets (default $SRGAN_LITE_DATA or ~/.cache/srgan_lite)")
    p.add_argument("--download", action="store_true", help="download missing benchmark sets")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")
    p.add_argument("--save-images", type=Path, help="write the super-resolved images here")
    p.add_argument("--no-perceptual", dest="perceptual", action="store_false",
                   help="skip what PSNR misses (feature distance, high-frequency ratio, grid score, top-octave energy, "
                        "lattice excess, NIQE): PSNR/SSIM only")
    p.add_argument("--device", default="auto")


def _add_upscale(sub) -> None:
    p = sub.add_parser("upscale", help="super-resolve image files or folders (4x)")
    p.add_argument("inputs", nargs="+", help="image files or folders")
    p.add_argument("-o", "--out", type=Path, help="output file (one input) or folder (default: beside each input)")
    p.add_argument("--weights", default="srresnet_x4", help="registered name or .safetensors file (default srresnet_x4)")
    p.add_argument("--tile", type=int, default=None,
                   help="LR tile size (default: the whole image if it fits --max-memory, else the largest tile that does; 0 = whole image)")
    p.add_argument("--tile-overlap", type=int, default=None, help="LR context around each tile (default: the receptive field)")
    p.add_argument("--max-memory", default=None, metavar="SIZE",
                   help="memory budget that picks the tile, e.g. 512MiB, 2GiB or bytes (default: half the free memory)")
    p.add_argument("--precision", default="auto", metavar="{auto,fp32,bf16}",
                   help="auto (default: bf16 on CUDA >= 8.0 and CPUs with AVX512-BF16/AMX, else fp32), fp32 or bf16")
    p.add_argument("--device", default="auto")


def _add_data(sub) -> None:
    p = sub.add_parser("data", help="list, download or pre-crop datasets")
    dsub = p.add_subparsers(dest="data_command", required=True)
    dsub.add_parser("list", help="known datasets and where they live")
    d = dsub.add_parser("download", help="download benchmark sets (sha256-checked)")
    d.add_argument("names", nargs="+")
    d.add_argument("--data-dir")
    c = dsub.add_parser("crop", help="cut large HR images into sub-image crops once (saves decoding time)")
    c.add_argument("src", type=Path)
    c.add_argument("dst", type=Path)
    c.add_argument("--size", type=int, default=480)
    c.add_argument("--stride", type=int, default=240)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="srgan-lite", description="SRResNet and SRGAN (Ledig et al., CVPR 2017)")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True)
    for add in (_add_train, _add_eval, _add_upscale, _add_data):
        add(sub)
    return parser


def cmd_train(args) -> None:
    from .training.config import make_config
    from .training.loop import train

    overrides = list(args.overrides)
    for flag, key in (("data", "data.train"), ("val", "data.val"), ("data_dir", "data.data_dir"), ("init", "run.init"),
                      ("steps", "run.steps"), ("batch_size", "data.batch_size"), ("patch_size", "data.patch_size"),
                      ("device", "run.device")):
        value = getattr(args, flag)
        if value is not None:
            overrides.append(f"{key}={'null' if flag == 'val' and value == 'none' else value}")
    config = make_config(args.profile, args.stage, overrides, args.config_file)
    if args.print_config:
        print(config.to_yaml(), end="")
        return
    result = train(config, args.out, resume=args.resume)
    if result.final:
        summary = ", ".join(f"{k} {result.final[k]:.4g}" for k in ("loss_g", "val_psnr", "val_ssim") if k in result.final)
        print(f"done: {result.final.get('step', 0):.0f} steps in {result.seconds:.0f} s ({summary}); "
              f"generator: {result.generator_path}")


def cmd_eval(args) -> None:
    from .evaluation.protocol import evaluate, format_results

    results = [evaluate(model, dataset, data_dir=args.data_dir, device=args.device, download=args.download,
                        perceptual=args.perceptual,
                        save_images=args.save_images / f"{Path(str(model)).stem}_{Path(str(dataset)).name}" if args.save_images else None)
               for dataset in args.dataset for model in args.model]
    print(format_results(results, args.format))


def cmd_upscale(args) -> None:
    import time

    from PIL import Image

    from .data.crops import read_image
    from .inference import collect_inputs, output_path, parse_bytes, resolve_precision, super_resolve
    from .models.pretrained import load_pretrained
    from .training.distributed import pick_device

    device = pick_device(args.device)
    precision = resolve_precision(args.precision, device)
    max_memory = parse_bytes(args.max_memory) if args.max_memory is not None else None
    paths = collect_inputs(args.inputs)
    model = load_pretrained(args.weights, device=device)
    for path in paths:
        started = time.perf_counter()
        sr = super_resolve(model, read_image(path), tile=args.tile, overlap=args.tile_overlap, precision=precision,
                           max_memory=max_memory)
        target = output_path(path, args.out, len(paths) == 1, model.config.scale)
        target.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(sr).save(target)
        print(f"{path} -> {target} ({sr.shape[1]}x{sr.shape[0]}, {time.perf_counter() - started:.1f} s)")


def cmd_data(args) -> None:
    from .data import datasets

    if args.data_command == "list":
        for entry in datasets.list_datasets():
            print("  ".join(f"{k}={v}" for k, v in entry.items()))
    elif args.data_command == "download":
        for name in args.names:
            print(f"{name}: {datasets.download(name, args.data_dir)}")
    else:
        from .data.crops import extract_subimages

        count = extract_subimages(args.src, args.dst, size=args.size, stride=args.stride)
        print(f"wrote {count} crops of {args.size}x{args.size} to {args.dst}")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = {"train": cmd_train, "eval": cmd_eval, "upscale": cmd_upscale, "data": cmd_data}[args.command]
    try:
        handler(args)
    except SRGANLiteError as exc:
        if args.debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: the newest checkpoint is kept; continue with --resume", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
