"""Inference: megapixels/s and peak memory to upscale 512x512 -> 2048x2048, with and without tiling.

    python benchmarks/bench_inference.py [--size 512] [--tile 128] [--device auto]

Peak memory is CUDA's max_memory_allocated on a GPU, and the growth of the process's peak RSS on a
CPU (each configuration runs in a fresh subprocess so the peaks do not mask each other).
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import torch


def measure(size: int, tile: int, device: str, repeats: int) -> dict:
    from srgan_lite import srresnet
    from srgan_lite.distributed import pick_device
    from srgan_lite.inference import upscale_tensor

    dev = pick_device(device)
    torch.manual_seed(0)
    model = srresnet().to(dev).eval()
    lr = torch.rand(1, 3, size, size, device=dev)
    upscale_tensor(model, lr[:, :, :64, :64], tile=0)  # warm-up
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if dev.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    for _ in range(repeats):
        out = upscale_tensor(model, lr, tile=tile)
    if dev.type == "cuda":
        torch.cuda.synchronize()
    seconds = (time.perf_counter() - start) / repeats
    peak = (torch.cuda.max_memory_allocated() / 2**20 if dev.type == "cuda"
            else (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base_rss) / 1024)
    return {"tile": tile, "output": f"{out.shape[-1]}x{out.shape[-2]}", "seconds": seconds,
            "mp_per_s": out.shape[-1] * out.shape[-2] / 1e6 / seconds, "peak_mib": peak, "device": str(dev)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--tile", type=int, default=128)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: measure one tile size
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(measure(args.size, args.one, args.device, args.repeats)))
        return
    for tile in (0, args.tile):
        out = subprocess.run([sys.executable, __file__, "--size", str(args.size), "--device", args.device,
                              "--repeats", str(args.repeats), "--one", str(tile)], capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        label = "untiled" if tile == 0 else f"tile {tile} (+{40} overlap)"
        print(f"{args.size}x{args.size} -> {r['output']} on {r['device']}, {label:>22}: {r['seconds']:7.2f} s, "
              f"{r['mp_per_s']:6.3f} MP/s, peak memory +{r['peak_mib']:7.0f} MiB")


if __name__ == "__main__":
    main()
