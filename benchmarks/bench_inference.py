"""Inference: megapixels/s and peak memory to upscale 512x512 -> 2048x2048, fp32 against bf16, tiled against untiled.

    python benchmarks/bench_inference.py [--size 512] [--budgets default 512MiB] [--precisions fp32 bf16] [--device auto]

Each precision runs untiled, then with the tile that ``upscale_tensor(tile=None)`` chooses from each
memory budget (``default`` = half the free memory, which at 512x512 usually means no tiling), then
with the old fixed 128-pixel tile. Ratios are printed at the end: bf16 / fp32 speed, tiled / untiled
time, peak memory. Peak memory is CUDA's max_memory_allocated on a GPU, and the growth of the
process's peak RSS on a CPU (each configuration runs in a fresh subprocess so the peaks do not mask
each other).
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import torch


def measure(size: int, tile: str, budget: str, precision: str, device: str, repeats: int) -> dict:
    from srgan_lite import srresnet
    from srgan_lite.inference import choose_tile, parse_bytes, upscale_tensor
    from srgan_lite.utils import pick_device

    dev = pick_device(device)
    torch.manual_seed(0)
    model = srresnet().to(dev).eval()
    lr = torch.rand(1, 3, size, size, device=dev)
    max_memory = None if budget == "default" else parse_bytes(budget)
    tile_arg = None if tile == "budget" else int(tile)
    chosen = choose_tile(model, tuple(lr.shape), max_memory=max_memory, precision=precision) if tile_arg is None else tile_arg
    upscale_tensor(model, lr[:, :, :64, :64], tile=0, precision=precision)  # warm-up
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if dev.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    for _ in range(repeats):
        out = upscale_tensor(model, lr, tile=tile_arg, max_memory=max_memory, precision=precision)
    if dev.type == "cuda":
        torch.cuda.synchronize()
    seconds = (time.perf_counter() - start) / repeats
    peak = (torch.cuda.max_memory_allocated() / 2**20 if dev.type == "cuda"
            else (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base_rss) / 1024)
    return {"tile": chosen, "output": f"{out.shape[-1]}x{out.shape[-2]}", "seconds": seconds,
            "mp_per_s": out.shape[-1] * out.shape[-2] / 1e6 / seconds, "peak_mib": peak, "device": str(dev)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--budgets", nargs="*", default=["default", "512MiB"], help="memory budgets to choose tiles from")
    parser.add_argument("--precisions", nargs="+", default=["fp32", "bf16"], choices=["fp32", "bf16"])
    parser.add_argument("--fixed-tile", type=int, default=128, help="also time this fixed tile (0 = skip)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--one", nargs=3, metavar=("TILE", "BUDGET", "PRECISION"), help=argparse.SUPPRESS)  # internal
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(measure(args.size, *args.one, args.device, args.repeats)))
        return
    runs = [("0", "default", "untiled")] + [("budget", b, f"budget {b}") for b in args.budgets]
    if args.fixed_tile:
        runs.append((str(args.fixed_tile), "default", f"fixed tile {args.fixed_tile}"))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    results: dict[tuple[str, str], dict] = {}
    for precision in args.precisions:
        for tile, budget, label in runs:
            out = subprocess.run([sys.executable, __file__, "--size", str(args.size), "--device", args.device,
                                  "--repeats", str(args.repeats), "--one", tile, budget, precision],
                                 capture_output=True, text=True, check=True)
            r = results[precision, label] = json.loads(out.stdout.strip().splitlines()[-1])
            chosen = "untiled" if r["tile"] == 0 else f"tile {r['tile']} (+40 overlap)"
            print(f"{args.size}x{args.size} -> {r['output']} on {r['device']}, {precision}, {label:>16} -> {chosen:>21}: "
                  f"{r['seconds']:7.2f} s, {r['mp_per_s']:6.3f} MP/s, peak memory +{r['peak_mib']:7.0f} MiB", flush=True)
    print("ratios (within this run):")
    if len(args.precisions) == 2:
        for _, _, label in runs:
            fp32, bf16 = results["fp32", label], results["bf16", label]
            print(f"  bf16 / fp32 speed, {label}: {bf16['mp_per_s'] / fp32['mp_per_s']:.2f}x, "
                  f"peak memory {bf16['peak_mib'] / max(fp32['peak_mib'], 1):.2f}x")
    for precision in args.precisions:
        untiled = results[precision, "untiled"]
        for _, _, label in runs[1:]:
            r = results[precision, label]
            print(f"  {precision}: {label} / untiled: time {r['seconds'] / untiled['seconds']:.2f}x, "
                  f"peak memory {r['peak_mib'] / max(untiled['peak_mib'], 1):.2f}x")


if __name__ == "__main__":
    main()
