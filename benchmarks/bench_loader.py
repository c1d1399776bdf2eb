"""Data loading against training: can HRCropDataset keep the generator busy?

Prints the images/s of ``HRCropDataset`` (random 96x96 crop, flips, MATLAB-bicubic LR) through a
``DataLoader`` with 0 and 2 workers, next to the images/s of one SRResNet training step (forward,
backward, Adam) on a batch of the same shape. The loader must be faster than the step.

    python benchmarks/bench_loader.py                      # the scikit-image photos
    python benchmarks/bench_loader.py --data DIR --batches 20 --workers 0 2 4   # DIR: e.g. a folder of T91 images
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch
from torch.utils.data import DataLoader

from srgan_lite import srresnet
from srgan_lite.data.crops import HRCropDataset
from srgan_lite.data.datasets import skimage_photos
from srgan_lite.losses import content as losses


def loader_rate(dataset: HRCropDataset, batch: int, workers: int, batches: int) -> float:
    """Images/s through a DataLoader, after the workers have delivered their first batch."""
    loader = DataLoader(dataset, batch_size=batch, shuffle=True, num_workers=workers, drop_last=True,
                        persistent_workers=False)
    iterator = iter(loader)
    next(iterator)  # worker start-up is not throughput
    start = time.perf_counter()
    for _ in range(batches):
        next(iterator)
    return batches * batch / (time.perf_counter() - start)


def train_rate(batch: int, patch: int, scale: int, steps: int, device: str) -> float:
    """Images/s of SRResNet forward + backward + Adam on one fixed batch."""
    model = srresnet(scale=scale).to(device)
    optimizer = torch.optim.Adam(model.parameters(), 1e-4)
    lr = torch.rand(batch, 3, patch // scale, patch // scale, device=device)
    hr = torch.rand(batch, 3, patch, patch, device=device) * 2 - 1

    def step():
        loss = losses.pixel_mse(model(lr), hr)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    step()  # warm-up
    if device == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    if device == "cuda":
        torch.cuda.synchronize()
    return steps * batch / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None, help="folder of HR training images, e.g. T91 (default: the scikit-image photos)")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--patch-size", type=int, default=96)
    parser.add_argument("--scale", type=int, default=4)
    parser.add_argument("--batches", type=int, default=30, help="batches timed per loader setting")
    parser.add_argument("--steps", type=int, default=3, help="training steps timed")
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 2])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()

    folder = args.data
    images = folder if folder is not None else skimage_photos()
    started = time.perf_counter()
    dataset = HRCropDataset(images, patch_size=args.patch_size, scale=args.scale, length=10**6)
    source = str(folder) if folder is not None else "scikit-image photos"
    print(f"data: {source}: {len(dataset.items)} images, cached={dataset.cached}, "
          f"set up in {time.perf_counter() - started:.1f} s; batch {args.batch_size}, patch {args.patch_size}, x{args.scale}")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {args.device}")
    for workers in args.workers:
        rate = loader_rate(dataset, args.batch_size, workers, args.batches)
        print(f"loader  workers={workers}: {rate:8.1f} images/s")
    rate = train_rate(args.batch_size, args.patch_size, args.scale, args.steps, args.device)
    print(f"train step (SRResNet fwd+bwd+Adam, {args.device}): {rate:8.1f} images/s")


if __name__ == "__main__":
    main()
