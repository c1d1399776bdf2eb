"""Training step time of SRResNet and SRGAN with each data pipeline, and the FLOP/s it achieves.

For every (stage, batch size, pipeline) it builds the paper profile's :class:`srgan_lite.training.loop.Trainer`
(Ledig et al. 2017, Sec. 3.2: 96x96 HR crops, SRGAN with the VGG54 content loss), steps it directly
(``Trainer.train_step``: G's step, then D's for SRGAN) on the batches of that pipeline, and
writes one JSON line per configuration: seconds per step (data included), images/s, FLOPs per step
(``torch.utils.flop_counter``, counted on one eager step, as ``benchmarks/bench_train.py`` does),
the achieved TFLOP/s and its fraction of ``--peak-tflops`` (the H200's dense bf16 peak, 989), and
CUDA's peak memory. SRGAN's VGG19 has random weights here: the same FLOPs as ImageNet's, no download.

Pipelines (``data.pipeline``, served by the trainer's own ``batches()``): ``loader`` (DataLoader
workers cut crops on the CPU) and ``device`` (:class:`srgan_lite.data.device_crops.DeviceCropStream`).

    python benchmarks/device_steps.py --data DIR --out OUT.jsonl [--batches 16 64] [--steps 30] [--config RECIPE.yaml]
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
import warnings
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

from srgan_lite.data.crops import list_images, read_image
from srgan_lite.data.datasets import skimage_photos
from srgan_lite.training.config import make_config
from srgan_lite.training.loop import Trainer


def load_images(spec: str) -> list[tuple[str, object]]:
    """``skimage`` or folders joined by ',' -> (name, uint8 array), decoded once for every configuration."""
    if spec == "skimage":
        return skimage_photos()
    return [(path.stem, read_image(path)) for part in spec.split(",") for path in list_images(part.strip())]


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _step(trainer: Trainer, lr_image: torch.Tensor, hr_image: torch.Tensor) -> None:
    trainer.step += 1
    trainer.train_step(lr_image, hr_image)


def measure(stage: str, batch: int, pipeline: str, images, args) -> dict:
    total = args.warmup + args.steps + 1
    overrides = [f"data.batch_size={batch}", f"data.patch_size={args.patch_size}", "data.val=null", "data.val_split=0",
                 f"run.steps={total}", f"run.device={args.device}", "run.progress=false", f"data.pipeline={pipeline}",
                 *([f"data.workers={args.workers}"] if pipeline == "loader" else []), *args.set]  # the device pipeline has no workers
    if stage == "srgan" and not any(o.startswith("run.init=") for o in args.set):
        overrides.append("run.init=srresnet_x4")  # the paper's SRGAN starts from a trained SRResNet
    config = make_config("paper", stage, overrides, args.config)
    config.loss.vgg_weights = None  # random VGG19 weights: the paper's FLOPs, nothing to download
    with tempfile.TemporaryDirectory() as run_dir, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainer = Trainer(config, run_dir, train_images=images, val_images=[])
        device = trainer.device
        batches = trainer.batches()
        started = time.perf_counter()
        lr_image, hr_image = next(batches)
        with FlopCounterMode(display=False) as counter:
            _step(trainer, lr_image, hr_image)
        _sync(device)
        first = time.perf_counter() - started
        flops = counter.get_total_flops()
        for _ in range(args.warmup):
            _step(trainer, *next(batches))
        _sync(device)
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
        start = time.perf_counter()
        for _ in range(args.steps):
            _step(trainer, *next(batches))
        _sync(device)
        seconds = (time.perf_counter() - start) / args.steps
        del batches, trainer
    row = {"stage": stage, "batch": batch, "pipeline": pipeline, "patch": args.patch_size, "device": str(device),
           "amp": config.run.amp, "compile": config.run.compile, "step_s": seconds, "images_per_s": batch / seconds,
           "first_step_s": first, "gflop_per_step": flops / 1e9, "tflop_per_s": flops / seconds / 1e12,
           "fraction_of_peak": flops / seconds / 1e12 / args.peak_tflops, "peak_tflops": args.peak_tflops,
           "peak_memory_gib": torch.cuda.max_memory_allocated(device) / 2**30 if device.type == "cuda" else None}
    if device.type == "cuda":
        torch.cuda.empty_cache()
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="skimage", help="skimage, or folders of HR training images joined by ','")
    parser.add_argument("--out", type=Path, required=True, help="JSON lines, one per configuration")
    parser.add_argument("--stages", nargs="+", default=["srresnet", "srgan"])
    parser.add_argument("--batches", nargs="+", type=int, default=[16, 64])
    parser.add_argument("--pipelines", nargs="+", default=["loader", "device"])
    parser.add_argument("--patch-size", type=int, default=96)
    parser.add_argument("--steps", type=int, default=30, help="timed steps per configuration")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--workers", type=int, default=8, help="DataLoader workers of the loader pipeline")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--peak-tflops", type=float, default=989.0, help="the chip's dense bf16 peak (H200: 989)")
    parser.add_argument("--config", help="a YAML recipe over the paper profile (e.g. configs/photos_srgan.yaml)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="more config overrides")
    args = parser.parse_args()

    images = load_images(args.data)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    print(f"{len(images)} training images; torch {torch.__version__}", flush=True)
    with args.out.open("w") as out:
        for stage in args.stages:
            for batch in args.batches:
                for pipeline in args.pipelines:
                    row = measure(stage, batch, pipeline, images, args)
                    out.write(json.dumps(row) + "\n")
                    out.flush()
                    print(f"{stage:>8} batch {batch:>3} {pipeline:>6}: {row['step_s'] * 1e3:8.2f} ms/step, "
                          f"{row['images_per_s']:8.1f} img/s, {row['gflop_per_step']:7.1f} GFLOP/step, "
                          f"{row['tflop_per_s']:7.2f} TFLOP/s = {row['fraction_of_peak']:.3f} of {args.peak_tflops:g}, "
                          f"first step (FLOP count, autotune) {row['first_step_s']:.1f} s", flush=True)


if __name__ == "__main__":
    main()
