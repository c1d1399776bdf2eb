"""Training crops/s: the device pipeline (srgan_lite.data.device_crops) against the DataLoader path, same stream.

Both make the trainer's batches of the same (seed, positions): the loader through
``DataLoader(PositionStream(HRCropDataset(...)), sampler=StepSampler(...))`` with 0 or more
workers (what ``Trainer.batches`` runs), the device pipeline through ``DeviceCropStream.batches``
(the images held on the device, one gather and two matrix products per batch). Also printed: the
rate of the per-position random draws alone, the serial CPU part of the device pipeline.

    python benchmarks/bench_pipeline.py                      # the scikit-image photos, on the CPU
    python benchmarks/bench_pipeline.py --data DIR --device cuda --batches 200 --workers 0 4
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch
from torch.utils.data import DataLoader

from srgan_lite.data.crops import HRCropDataset
from srgan_lite.data.datasets import skimage_photos
from srgan_lite.data.device_crops import DeviceCropStream
from srgan_lite.training.distributed import Dist
from srgan_lite.training.loop import PositionStream, StepSampler
from srgan_lite.utils import pick_device


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def loader_rate(dataset: HRCropDataset, batch: int, batches: int, workers: int, device: torch.device) -> float:
    """Crops/s of the trainer's DataLoader path (batches moved to ``device``), after the first batch."""
    loader = DataLoader(PositionStream(dataset, 0), batch_size=batch, sampler=StepSampler(0, batches + 1, batch, Dist()),
                        num_workers=workers, pin_memory=device.type == "cuda")
    iterator = iter(loader)
    next(iterator)  # worker start-up is not throughput
    start = time.perf_counter()
    for lr_image, hr_image in iterator:
        lr_image, hr_image = lr_image.to(device, non_blocking=True), hr_image.to(device, non_blocking=True)
    _sync(device)
    return batches * batch / (time.perf_counter() - start)


def device_rate(stream: DeviceCropStream, batch: int, batches: int) -> float:
    """Crops/s of ``DeviceCropStream.batches``, after one warm-up batch."""
    iterator = stream.batches(0, batches + 1, batch)
    next(iterator)
    _sync(stream.device)
    start = time.perf_counter()
    for _ in iterator:
        pass
    _sync(stream.device)
    return batches * batch / (time.perf_counter() - start)


def draw_rate(stream: DeviceCropStream, count: int) -> float:
    start = time.perf_counter()
    stream.draws(range(10**6, 10**6 + count))
    return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None, help="folder of HR training images (default: the scikit-image photos)")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--patch-size", type=int, default=96)
    parser.add_argument("--scale", type=int, default=4)
    parser.add_argument("--batches", type=int, default=30, help="batches timed per pipeline")
    parser.add_argument("--workers", type=int, nargs="+", default=[0], help="DataLoader workers to time")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()

    device = pick_device(args.device)
    images = args.data if args.data is not None else skimage_photos()
    dataset = HRCropDataset(images, patch_size=args.patch_size, scale=args.scale, augment=True, cache=True)
    started = time.perf_counter()
    stream = DeviceCropStream.from_dataset(dataset, seed=0, device=device)
    source = str(args.data) if args.data is not None else "scikit-image photos"
    print(f"data: {source}: {len(dataset.items)} images; {stream} set up in {time.perf_counter() - started:.1f} s")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {device}; "
          f"batch {args.batch_size} x {args.patch_size} px, x{args.scale}, augment on")
    rates = {}
    for workers in args.workers:
        rates[f"loader workers={workers}"] = loader_rate(dataset, args.batch_size, args.batches, workers, device)
    rates["device pipeline"] = device_rate(stream, args.batch_size, args.batches)
    for name, rate in rates.items():
        print(f"{name:>20}: {rate:9.1f} crops/s")
    print(f"{'draws alone (CPU)':>20}: {draw_rate(stream, 2000):9.1f} crops/s")
    device_crops = rates["device pipeline"]
    for workers in args.workers:
        print(f"ratio device / loader workers={workers}: {device_crops / rates[f'loader workers={workers}']:.2f}")


if __name__ == "__main__":
    main()
