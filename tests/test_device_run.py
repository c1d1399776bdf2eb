"""benchmarks/device_run.sh --dry-run: the lent-GPU script runs end to end on the CPU and writes its files, as a
fresh SRResNet run, as the continuation of a generator (INIT=, issue 29) and as a recipe's adversarial stage
continued (STAGE=srgan CONFIG=, issue 25)."""
import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
FILES = {"env.txt", "steps.jsonl", "steps.txt", "train.log", "history.csv", "generator.safetensors", "eval.txt",
         "summary.txt"}  # at most 8 files: what a device run can bring back


def _dry_run(out: Path, **variables: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("WORK", "INIT", "STAGE", "CONFIG")}
    env.update(OUT=str(out), PYTHON=sys.executable, OMP_NUM_THREADS="1", **variables)
    done = subprocess.run(["bash", str(REPO / "benchmarks" / "device_run.sh"), "--dry-run"], env=env, cwd=out.parent,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert {p.name for p in out.iterdir()} == FILES
    return {name: (out / name).read_text() for name in FILES - {"generator.safetensors"}}


def _configurations(steps_jsonl: str) -> set[tuple[str, str]]:
    rows = [json.loads(line) for line in steps_jsonl.splitlines()]
    assert all(r["step_s"] > 0 and r["gflop_per_step"] > 0 and 0 < r["fraction_of_peak"] < 1 for r in rows)
    return {(r["stage"], r["pipeline"]) for r in rows}


def _tiny_generator(path: Path, *overrides: str) -> Path:
    from srgan_lite.models.architectures import build_generator
    from srgan_lite.models.checkpoint import save_generator
    from srgan_lite.training.config import make_config

    config = make_config("paper", "srresnet", ["model.num_blocks=2", "model.channels=16", *overrides]).model
    return save_generator(build_generator(config), path)


@pytest.mark.slow
def test_device_run_dry_run_writes_every_file(tmp_path):
    fresh = _dry_run(tmp_path / "fresh")
    assert "torch" in fresh["env.txt"]
    assert _configurations(fresh["steps.jsonl"]) == {(s, p) for s in ("srresnet", "srgan") for p in ("loader", "device")}
    assert "pipeline: device" in fresh["train.log"] and "init: null" in fresh["train.log"]
    assert fresh["history.csv"].startswith("step,")
    assert "Set5" in fresh["eval.txt"] and "PSNR" in fresh["eval.txt"]
    assert "done in" in fresh["summary.txt"]


@pytest.mark.slow
def test_device_run_dry_run_continues_a_generator_and_a_recipe(tmp_path):
    init = _tiny_generator(tmp_path / "srresnet.safetensors")
    continued = _dry_run(tmp_path / "continued", INIT=str(init))
    assert _configurations(continued["steps.jsonl"]) == {("srresnet", "device")}  # every other second trains
    assert f"init: {init}" in continued["train.log"] and "schedule: cosine" in continued["train.log"]
    rows = list(csv.DictReader(continued["history.csv"].splitlines()))
    lrs = [float(r["lr"]) for r in rows]
    assert lrs == sorted(lrs, reverse=True) and lrs[-1] == pytest.approx(1e-6)  # annealed to lr x 0.01 at its last step
    assert any(r["val_psnr"] for r in rows) and "val_split: 1" in continued["train.log"]  # a held-out training image

    init = _tiny_generator(tmp_path / "resize.safetensors", "model.upsampler=resize", "model.icnr=false")
    recipe = _dry_run(tmp_path / "recipe", STAGE="srgan", CONFIG=str(REPO / "configs" / "photos_srgan.yaml"), INIT=str(init))
    assert _configurations(recipe["steps.jsonl"]) == {("srgan", "device")}
    for line in ("stage: srgan", "content: lite0_norm", "artifact_weight: 50.0", "ema_decay: 0.999", f"init: {init}"):
        assert line in recipe["train.log"], line
    rows = list(csv.DictReader(recipe["history.csv"].splitlines()))
    recipe_weight = yaml.safe_load((REPO / "configs" / "photos_srgan.yaml").read_text())["loss"]["adversarial_weight"]
    assert {float(r["adversarial_weight"]) for r in rows} == {recipe_weight} and all(float(r["loss_d"]) > 0 for r in rows)


def test_device_run_refuses_a_stage_it_cannot_run(tmp_path):
    for variables, message in (({"STAGE": "srgan"}, "set INIT"), ({"STAGE": "esrgan"}, "STAGE=esrgan is unknown"),
                               ({"CONFIG": "nowhere.yaml"}, "CONFIG=nowhere.yaml does not exist")):
        env = {**os.environ, "OUT": str(tmp_path / "out"), **variables}
        done = subprocess.run(["bash", str(REPO / "benchmarks" / "device_run.sh"), "--dry-run"], env=env,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 2 and message in done.stderr, (variables, done.stderr)
