"""Data-parallel training: N processes must train exactly what one process trains on the whole batch."""
import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from srgan_lite.models.checkpoint import load_checkpoint
from srgan_lite.training import distributed as ddp

ROOT = Path(__file__).resolve().parents[1]
TINY = ["model.num_blocks=2", "model.channels=16", "data.patch_size=32", "data.batch_size=4", "data.val=null",
        "run.device=cpu", "run.progress=false", "run.log_every=1", "run.amp=off", "data.train=skimage"]


def _cli_train(out: Path, steps: int, overrides: list[str], processes: int = 1, port: int = 29517, stage="srresnet"):
    launcher = [sys.executable, "-m", "torch.distributed.run", f"--nproc_per_node={processes}", f"--master_port={port}"]
    cmd = [*(launcher if processes > 1 else [sys.executable]), "-m", "srgan_lite.cli", "train", "--profile", "quick",
           "--stage", stage, "--steps", str(steps), "--out", str(out),
           *[a for o in TINY + [f"run.ckpt_every={steps}", *overrides] for a in ("--set", o)]]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return load_checkpoint(out / "checkpoints" / f"step_{steps:08d}.pt")


def _relative_differences(one: dict, two: dict, initial: dict, skip: set[str]) -> dict[str, float]:
    """Per tensor: |one - two| / |one - initial|, the part of the training update the two runs disagree on."""
    return {k: ((v - two[k]).norm() / (v - initial[k]).norm()).item() for k, v in one.items()
            if v.is_floating_point() and k not in skip}


@pytest.mark.slow
def test_two_processes_at_batch_2_train_what_one_process_trains_at_batch_4(tmp_path):
    """3 SRGAN steps (G and D, both with BatchNorm), jitter windows on: 2 x 2 crops with SyncBatchNorm == 1 x 4 crops."""
    extra = ["data.shift_jitter=4"]
    one = _cli_train(tmp_path / "one", 3, extra, stage="srgan")
    two = _cli_train(tmp_path / "two", 3, extra, processes=2, port=29518, stage="srgan")
    # what the torchrun run leaves behind is one run's, not two: one checkpoint, one history row per step, the export
    assert [p.name for p in (tmp_path / "two" / "checkpoints").iterdir()] == ["step_00000003.pt"]
    with open(tmp_path / "two" / "history.csv") as f:
        assert [int(r["step"]) for r in csv.DictReader(f)] == [1, 2, 3]
    assert (tmp_path / "two" / "generator.safetensors").exists()
    from srgan_lite.training.config import make_config
    from srgan_lite.training.loop import Trainer

    before = Trainer(make_config("quick", "srgan", [*TINY, *extra, "run.steps=3"]), tmp_path / "before")
    initial = {"generator": before.generator.state_dict(), "discriminator": before.discriminator.state_dict()}
    # Per tensor, the part of the update the runs disagree on; without SyncBatchNorm it is 0.1-1.3 for most
    # tensors of both networks. D's limit is looser: its gradients pass through 7 BatchNorms, whose input
    # gradients sum to ~0 per channel, so some parameter gradients are small differences of large terms, and
    # the 1e-7 rounding differences between the two computations become ~1% of them; Adam, which normalises
    # every entry, turns that into ~1% of the update (measured: ~1e-6 after one step, 3.6e-2 after three).
    limits = {("generator", "running_var"): 1e-3, ("generator", "running_mean"): 1e-2, ("generator", ""): 1e-2,
              ("discriminator", "running_var"): 1e-3, ("discriminator", "running_mean"): 1e-2, ("discriminator", ""): 0.1}
    for net in ("generator", "discriminator"):
        noise = _biases_before_batchnorm(getattr(before, net))
        assert len(noise) >= 2
        differences = _relative_differences(one[net], two[net], initial[net], noise)
        assert all((one[net][k] - initial[net][k]).norm() > 0 for k in differences), f"{net}: a tensor did not train"
        kind = lambda k: k.rsplit(".", 1)[-1] if k.endswith(("running_var", "running_mean")) else ""  # noqa: E731
        too_far = {k: f"{d:.1e}" for k, d in differences.items() if d > limits[net, kind(k)]}
        assert not too_far, f"{net}: 1 and 2 processes disagree on {too_far}"


def _biases_before_batchnorm(model: nn.Module) -> set[str]:
    """Biases of convolutions that feed a BatchNorm: their true gradient is 0 (BatchNorm subtracts the mean), so
    Adam turns rounding noise into +-lr steps of random sign, different in every run; nothing to compare."""
    found = set()
    for prefix, module in model.named_modules():
        children = list(module.named_children())
        for (name, conv), (_, norm) in zip(children, children[1:]):
            if isinstance(conv, nn.Conv2d) and conv.bias is not None and isinstance(norm, nn.modules.batchnorm._BatchNorm):
                found.add(f"{prefix}.{name}.bias".lstrip("."))
    return found


def _sync_bn_worker(rank: int, world: int, init_file: str, out_file: str) -> None:
    torch.distributed.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world)
    torch.manual_seed(0)
    x = torch.randn(4, 3, 5, 5) * 3 + 1
    layer = ddp.sync_batchnorm(nn.Sequential(nn.BatchNorm2d(3)))
    layer[0].weight.data.uniform_(0.5, 1.5)
    mine = x[rank * 2:(rank + 1) * 2].clone().requires_grad_(True)
    out = layer(mine)
    (out * torch.arange(out.numel()).view_as(out)).sum().backward()  # a loss that is not symmetric in the samples
    torch.save({"out": out.detach(), "grad": mine.grad, "state": layer.state_dict(), "weight_grad": layer[0].weight.grad},
               f"{out_file}.{rank}")
    torch.distributed.destroy_process_group()


@pytest.mark.slow
def test_sync_batchnorm_over_two_processes_equals_batchnorm_over_the_whole_batch(tmp_path):
    torch.multiprocessing.spawn(_sync_bn_worker, args=(2, str(tmp_path / "init"), str(tmp_path / "out")), nprocs=2)
    torch.manual_seed(0)
    x = (torch.randn(4, 3, 5, 5) * 3 + 1).requires_grad_(True)
    layer = nn.BatchNorm2d(3)
    layer.weight.data.uniform_(0.5, 1.5)
    out = layer(x)
    weights = torch.arange(out[:2].numel()).view_as(out[:2])
    (torch.cat([out[:2] * weights, out[2:] * weights])).sum().backward()
    ranks = [torch.load(tmp_path / f"out.{r}") for r in (0, 1)]
    assert torch.allclose(torch.cat([r["out"] for r in ranks]), out, atol=1e-5)
    assert torch.allclose(torch.cat([r["grad"] for r in ranks]), x.grad, atol=1e-5)
    assert torch.allclose(ranks[0]["weight_grad"] + ranks[1]["weight_grad"], layer.weight.grad, atol=1e-4)
    for key, value in layer.state_dict().items():
        assert torch.allclose(ranks[0]["state"][f"0.{key}"].float(), value.float(), atol=1e-6), key


def test_sync_batchnorm_keeps_the_state_and_is_plain_batchnorm_in_one_process():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Sequential(nn.BatchNorm2d(4)))
    model(torch.randn(2, 3, 6, 6))
    reference = {k: v.clone() for k, v in model.state_dict().items()}
    x = torch.randn(2, 3, 6, 6)
    expected = model(x)
    model.load_state_dict(reference)
    converted = ddp.sync_batchnorm(model)
    assert [type(m).__name__ for m in converted.modules()].count("SyncBatchNorm2d") == 2
    assert all(torch.equal(converted.state_dict()[k], v) for k, v in reference.items())
    assert torch.allclose(converted(x), expected, atol=1e-6)


def test_sync_bn_auto_is_on_for_several_processes_only():
    one, two = ddp.Dist(), ddp.Dist(rank=0, world_size=2)
    assert (ddp.use_sync_bn("auto", one), ddp.use_sync_bn("auto", two)) == (False, True)
    assert (ddp.use_sync_bn(True, one), ddp.use_sync_bn(False, two)) == (True, False)


def test_rank_0_downloads_while_the_others_wait_then_resolve_without_downloading(monkeypatch):
    from srgan_lite.data import datasets
    from srgan_lite.training import setup as train_setup
    from srgan_lite.training.config import make_config

    events = []
    monkeypatch.setattr(ddp, "barrier", lambda info: events.append(("barrier", info.rank)))
    monkeypatch.setattr(datasets, "resolve_dataset", lambda name, data_dir, download: events.append((name, download)) or ROOT)
    monkeypatch.setattr("srgan_lite.data.crops.list_images", lambda folder: [folder / "x.png"])
    monkeypatch.setattr("srgan_lite.data.crops.load_eval_images", lambda folder, **options: [])
    config = make_config("quick", "srresnet", ["data.train=Set5,Set14", "data.val=BSD100"])
    for rank in (0, 1):
        events.clear()
        info = ddp.Dist(rank=rank, world_size=2)
        assert train_setup.training_images(config, info) == [ROOT / "x.png"] * 2
        assert train_setup.validation_images(config, info) == []
        if rank == 0:  # rank 0 downloads, then releases the others
            assert events == [("Set5", True), ("barrier", 0), ("Set14", True), ("barrier", 0), ("BSD100", True), ("barrier", 0)]
        else:  # the others wait for rank 0, then only look
            assert events == [("barrier", 1), ("Set5", False), ("barrier", 1), ("Set14", False), ("barrier", 1), ("BSD100", False)]


def test_an_error_on_rank_0_is_raised_after_the_barrier():
    calls = []

    def fail(download):
        calls.append(download)
        raise OSError("no network")

    original = ddp.barrier
    try:
        ddp.barrier = lambda info: calls.append("barrier")
        with pytest.raises(OSError, match="no network"):
            ddp.main_first(ddp.Dist(rank=0, world_size=2), fail)
    finally:
        ddp.barrier = original
    assert calls == [True, "barrier"]
