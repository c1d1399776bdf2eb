"""benchmarks/device_run.sh --dry-run: the lent-GPU script runs end to end on the CPU and writes its files, both as a
fresh SRResNet run and as the continuation of a generator file (INIT=, issue 29)."""
import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FILES = {"env.txt", "steps.jsonl", "steps.txt", "train.log", "history.csv", "generator.safetensors", "eval.txt",
         "summary.txt"}  # at most 8 files: what a device run can bring back


def _dry_run(out: Path, cwd: Path, **variables: str) -> dict[str, str]:
    env = {**os.environ, "OUT": str(out), "PYTHON": sys.executable, "OMP_NUM_THREADS": "1", **variables}
    env.pop("WORK", None)
    if "INIT" not in variables:
        env.pop("INIT", None)
    done = subprocess.run(["bash", str(REPO / "benchmarks" / "device_run.sh"), "--dry-run"], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert {p.name for p in out.iterdir()} == FILES
    return {name: (out / name).read_text() for name in FILES - {"generator.safetensors"}}


def _configurations(steps_jsonl: str) -> set[tuple[str, str]]:
    rows = [json.loads(line) for line in steps_jsonl.splitlines()]
    assert all(r["step_s"] > 0 and r["gflop_per_step"] > 0 and 0 < r["fraction_of_peak"] < 1 for r in rows)
    return {(r["stage"], r["pipeline"]) for r in rows}


@pytest.mark.slow
def test_device_run_dry_run_writes_every_file_then_continues_its_generator(tmp_path):
    fresh = _dry_run(tmp_path / "fresh", tmp_path)
    assert "torch" in fresh["env.txt"]
    assert _configurations(fresh["steps.jsonl"]) == {(s, p) for s in ("srresnet", "srgan") for p in ("loader", "device")}
    assert "pipeline: device" in fresh["train.log"] and "init: null" in fresh["train.log"]
    assert fresh["history.csv"].startswith("step,")
    assert "Set5" in fresh["eval.txt"] and "PSNR" in fresh["eval.txt"]
    assert "done in" in fresh["summary.txt"]

    init = tmp_path / "fresh" / "generator.safetensors"
    continued = _dry_run(tmp_path / "continued", tmp_path, INIT=str(init))
    assert _configurations(continued["steps.jsonl"]) == {("srresnet", "device")}  # every other second trains
    assert f"init: {init}" in continued["train.log"] and "schedule: cosine" in continued["train.log"]
    rows = list(csv.DictReader(continued["history.csv"].splitlines()))
    lrs = [float(r["lr"]) for r in rows]
    assert lrs == sorted(lrs, reverse=True) and lrs[-1] == pytest.approx(1e-6)  # annealed to lr x 0.01 at its last step
    assert any(r["val_psnr"] for r in rows)  # validated on the held-out training image
    assert "val_split: 1" in continued["train.log"]
