"""The training loop on tiny data: runs, checkpoints, resume, divergence, DDP."""
import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from srgan_lite import losses
from srgan_lite.checkpoint import load_checkpoint, load_generator
from srgan_lite.config import make_config
from srgan_lite.errors import CheckpointError, TrainingDiverged
from srgan_lite.train import PositionStream, lr_factor, train

ROOT = Path(__file__).resolve().parents[1]
TINY = ["model.num_blocks=2", "model.channels=16", "data.patch_size=32", "data.batch_size=4", "data.val=null",
        "run.device=cpu", "run.progress=false", "run.log_every=1", "run.amp=off"]


def tiny_config(stage="srresnet", steps=6, *extra):
    return make_config("quick", stage, [*TINY, f"run.steps={steps}", "run.val_every=0", f"run.ckpt_every={steps}", *extra])


@pytest.fixture(scope="module")
def images():
    rng = np.random.default_rng(0)
    base = np.linspace(0, 255, 80 * 80 * 3).reshape(80, 80, 3)
    return [(f"img{i}", np.clip(base + rng.normal(0, 20, base.shape), 0, 255).astype(np.uint8)) for i in range(3)]


def losses_by_step(rows, key="loss_g"):
    return {int(float(r["step"])): round(float(r[key]), 6) for r in rows}


def test_srresnet_run_writes_checkpoint_history_and_weights(tmp_path, images):
    val = [("v", images[0][1][:48, :48])]
    config = tiny_config("srresnet", 6, "run.val_every=3")
    result = train(config, tmp_path / "run", train_images=images, val_images=val)
    assert [r["step"] for r in result.history] == [1, 2, 3, 4, 5, 6]
    assert all(np.isfinite(r["loss_g"]) for r in result.history)
    assert "val_psnr" in result.history[2] and "val_psnr" in result.history[5]
    assert sorted(p.name for p in (tmp_path / "run" / "samples").iterdir()) == ["step_00000003.png", "step_00000006.png"]
    assert (tmp_path / "run" / "checkpoints" / "step_00000006.pt").exists()
    with open(tmp_path / "run" / "history.csv") as f:
        assert len(list(csv.DictReader(f))) == 6
    model = load_generator(result.generator_path)
    assert model.config == config.model
    assert (tmp_path / "run" / "config.yaml").read_text().startswith("model:")


def test_srgan_run_trains_both_networks(tmp_path, images):
    config = tiny_config("srgan", 4)
    result = train(config, tmp_path / "gan", train_images=images)
    last = result.history[-1]
    for key in ("loss_g", "content", "adversarial", "loss_d", "d_real", "d_fake"):
        assert np.isfinite(last[key]), key
    assert 0 < last["d_real"] < 1 and 0 < last["d_fake"] < 1
    state = load_checkpoint(tmp_path / "gan" / "checkpoints" / "step_00000004.pt")
    assert {"generator", "discriminator", "opt_g", "opt_d", "sched_g", "sched_d", "rng", "config"} <= set(state)


def test_resume_matches_uninterrupted_run(tmp_path, images):
    full = train(tiny_config("srresnet", 8), tmp_path / "full", train_images=images)
    # The same run, stopped after step 4 (as if killed) and resumed.
    config = tiny_config("srresnet", 8, "run.ckpt_every=4")
    first = train(config, tmp_path / "split", train_images=images)
    (tmp_path / "split" / "checkpoints" / "step_00000008.pt").unlink()  # pretend it died after the step-4 checkpoint
    resumed = train(config, tmp_path / "split", resume=True, train_images=images)
    assert losses_by_step(resumed.history) == losses_by_step(full.history)
    assert losses_by_step(first.history) == losses_by_step(full.history)


def test_sigkill_then_resume_ends_where_an_uninterrupted_run_ends(tmp_path):
    args = [sys.executable, "-m", "srgan_lite.cli", "train", "--profile", "quick", "--steps", "16",
            *[a for o in TINY + ["run.ckpt_every=4", "data.train=skimage", "run.keep_checkpoints=10"] for a in ("--set", o)]]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    reference = subprocess.run([*args, "--out", str(tmp_path / "ref")], capture_output=True, text=True, env=env, timeout=300)
    assert reference.returncode == 0, reference.stderr
    proc = subprocess.Popen([*args, "--out", str(tmp_path / "killed")], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    checkpoints = tmp_path / "killed" / "checkpoints"
    deadline = time.time() + 120
    while not (checkpoints.exists() and any(checkpoints.glob("step_*.pt"))) and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert any(checkpoints.glob("step_*.pt"))
    resumed = subprocess.run([*args, "--out", str(tmp_path / "killed"), "--resume"], capture_output=True, text=True, env=env, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    with open(tmp_path / "ref" / "history.csv") as a, open(tmp_path / "killed" / "history.csv") as b:
        assert losses_by_step(list(csv.DictReader(a))) == losses_by_step(list(csv.DictReader(b)))


def test_nan_stops_cleanly_and_keeps_last_good_checkpoint(tmp_path, images, monkeypatch):
    real_mse, calls = losses.pixel_mse, {"n": 0}

    def poisoned(sr, hr):
        calls["n"] += 1
        value = real_mse(sr, hr)
        return value * float("nan") if calls["n"] == 5 else value

    monkeypatch.setattr(losses, "pixel_mse", poisoned)
    with pytest.raises(TrainingDiverged, match="step 5.*step_00000004.pt"):
        train(tiny_config("srresnet", 8, "run.ckpt_every=2"), tmp_path / "nan", train_images=images)
    assert sorted(p.name for p in (tmp_path / "nan" / "checkpoints").iterdir())[-1] == "step_00000004.pt"
    assert load_checkpoint(tmp_path / "nan" / "checkpoints" / "step_00000004.pt")["step"] == 4


def test_resume_errors(tmp_path, images):
    with pytest.raises(CheckpointError, match="no checkpoint"):
        train(tiny_config(), tmp_path / "empty", resume=True, train_images=images)
    train(tiny_config("srresnet", 2), tmp_path / "r", train_images=images)
    with pytest.raises(CheckpointError, match="srresnet"):
        train(tiny_config("srgan", 2), tmp_path / "r", resume=True, train_images=images)


def test_data_stream_is_a_function_of_position(images):
    from srgan_lite.data import HRCropDataset

    stream = PositionStream(HRCropDataset(images, patch_size=32, scale=4), seed=3)
    a, b = stream[7], stream[7]
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(stream[8][1], a[1])


def test_lr_schedules():
    step = make_config("paper", "srgan")
    assert lr_factor(step, 99_999) == 1.0 and lr_factor(step, 100_000) == pytest.approx(0.1)
    cosine = make_config("quick", "srresnet", ["optim.schedule=cosine", "optim.min_lr_ratio=0.1", "run.steps=100"])
    assert lr_factor(cosine, 0) == 1.0 and lr_factor(cosine, 100) == pytest.approx(0.1)


@pytest.mark.slow
def test_ddp_two_processes_with_gloo(tmp_path):
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--master_port=29517",
           "-m", "srgan_lite.cli", "train", "--profile", "quick", "--steps", "3", "--out", str(tmp_path / "ddp"),
           *[a for o in TINY + ["run.ckpt_every=3", "data.train=skimage"] for a in ("--set", o)]]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert [p.name for p in (tmp_path / "ddp" / "checkpoints").iterdir()] == ["step_00000003.pt"]
    with open(tmp_path / "ddp" / "history.csv") as f:
        assert [int(r["step"]) for r in csv.DictReader(f)] == [1, 2, 3]
    assert (tmp_path / "ddp" / "generator.safetensors").exists()
