"""Training throughput: `srgan_lite.training.loop` (its real data pipeline) against a bare PyTorch loop.

Prints images/s of both for the same model, batch and crop, their ratio (target >= 0.9), the FLOPs
of one step (torch.utils.flop_counter) and the fraction of this machine's matmul peak they reach.

    python benchmarks/bench_train.py --stage srresnet --steps 20 --batch-size 16 --patch-size 96
    python benchmarks/bench_train.py --stage srgan --steps 6 --set model.upsampler=resize \
        --set discriminator.arch=patch --set discriminator.channels=32 --compile   # a recipe, compiled

``--set`` overrides configure both loops: the bare one builds G and D from the same config (its loss stays pixel
MSE + 10^-3 adversarial, without jitter), the trainer runs the recipe as it trains.
"""
from __future__ import annotations

import argparse
import tempfile
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from srgan_lite.losses import adversarial
from srgan_lite.losses import content as losses
from srgan_lite.models.architectures import build_discriminator, build_generator
from srgan_lite.training.config import make_config
from srgan_lite.training.loop import train


def matmul_peak(dtype: torch.dtype, n: int = 2048, repeats: int = 5) -> float:
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    a @ b
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b
    return 2 * n**3 * repeats / (time.perf_counter() - start)


def bare_step_fn(config, amp: bool, channels_last: bool, compile: bool):
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    stage, batch, patch = config.run.stage, config.data.batch_size, config.data.patch_size
    g = build_generator(config.model).to(memory_format=fmt)
    opt_g = torch.optim.Adam(g.parameters(), 1e-4, betas=(0.9, 0.999))
    d = build_discriminator(config.discriminator, patch).to(memory_format=fmt) if stage == "srgan" else None
    opt_d = torch.optim.Adam(d.parameters(), 1e-4, betas=(0.9, 0.999)) if d is not None else None
    g_call, d_call = (torch.compile(g), torch.compile(d) if d is not None else None) if compile else (g, d)
    lr = torch.rand(batch, 3, patch // 4, patch // 4).to(memory_format=fmt)
    hr = (torch.rand(batch, 3, patch, patch) * 2 - 1).to(memory_format=fmt)

    def step():
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=amp):
            sr = g_call(lr)
            loss = losses.pixel_mse(sr.float(), hr)
            if d is not None:
                loss = loss + 1e-3 * adversarial.generator_adversarial_loss(d_call(sr).float())
        opt_g.zero_grad()
        loss.backward()
        opt_g.step()
        if d is not None:
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=amp):
                loss_d = adversarial.discriminator_loss(d_call(hr).float(), d_call(sr.detach()).float())
            opt_d.zero_grad()
            loss_d.backward()
            opt_d.step()

    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", choices=["srresnet", "srgan"], default="srresnet")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--patch-size", type=int, default=96)
    parser.add_argument("--amp", choices=["off", "bf16"], default="off")
    parser.add_argument("--channels-last", action="store_true")
    parser.add_argument("--data", default="skimage")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--compile", action="store_true", help="torch.compile G and D (run.compile=true)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="a training-config override for both loops, e.g. model.upsampler=resize (repeatable)")
    args = parser.parse_args()
    amp = args.amp == "bf16"

    config = make_config("quick", args.stage, [
        "model.num_blocks=16", "model.channels=64", f"data.batch_size={args.batch_size}",
        f"data.patch_size={args.patch_size}", f"data.workers={args.workers}", "data.val=null",
        f"data.train={args.data}", f"run.steps={args.steps + 2}", "run.log_every=1", "run.val_every=0",
        f"run.ckpt_every={args.steps + 2}", "run.progress=false", "run.device=cpu", f"run.amp={args.amp}",
        f"run.channels_last={str(args.channels_last).lower()}", f"run.compile={str(args.compile).lower()}",
        "optim.lr=1e-4", "optim.schedule=constant", *args.overrides])
    counted = bare_step_fn(config, amp, args.channels_last, compile=False)
    with FlopCounterMode(display=False) as counter:
        counted()
    flops = counter.get_total_flops()
    step = bare_step_fn(config, amp, args.channels_last, compile=True) if args.compile else counted
    step()  # warm-up (and compilation)
    step()
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    bare = args.steps * args.batch_size / (time.perf_counter() - start)

    with tempfile.TemporaryDirectory() as out:
        history = train(config, out).history
    # Rows 3.. are steady state (each row covers one step); the first two include start-up.
    steady = history[2:]
    ours = sum(args.batch_size for _ in steady) / sum(args.batch_size / r["images_per_s"] for r in steady)

    peak = matmul_peak(torch.bfloat16 if amp else torch.float32)
    step_seconds = args.batch_size / bare
    print(f"stage {args.stage}, batch {args.batch_size} x {args.patch_size}px, amp {args.amp}, "
          f"channels_last {args.channels_last}, compile {args.compile}, threads {torch.get_num_threads()}"
          + (f", overrides {' '.join(args.overrides)}" if args.overrides else ""))
    print(f"bare loop (random tensors): {bare:8.2f} images/s")
    print(f"srgan_lite.training.loop ({args.data}): {ours:8.2f} images/s   ratio {ours / bare:.3f}")
    print(f"FLOPs per step: {flops / 1e9:.1f} GFLOP -> {flops / step_seconds / 1e9:.1f} GFLOP/s achieved")
    print(f"matmul peak ({'bf16' if amp else 'fp32'}, 2048^2): {peak / 1e9:.1f} GFLOP/s -> fraction {flops / step_seconds / peak:.2f}")


if __name__ == "__main__":
    main()
