"""benchmarks/device_run.sh --dry-run: the lent-GPU script runs end to end on the CPU and writes its files."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_device_run_dry_run_writes_every_file(tmp_path):
    out = tmp_path / "out"
    env = {**os.environ, "OUT": str(out), "PYTHON": sys.executable, "OMP_NUM_THREADS": "1"}
    env.pop("WORK", None)
    done = subprocess.run(["bash", str(REPO / "benchmarks" / "device_run.sh"), "--dry-run"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    names = {p.name for p in out.iterdir()}
    assert names == {"env.txt", "steps.jsonl", "steps.txt", "train.log", "history.csv", "generator.safetensors",
                     "eval.txt", "summary.txt"}  # at most 8 files: what a device run can bring back
    assert "torch" in (out / "env.txt").read_text()
    rows = [json.loads(line) for line in (out / "steps.jsonl").read_text().splitlines()]
    assert {(r["stage"], r["pipeline"]) for r in rows} == {(s, p) for s in ("srresnet", "srgan") for p in ("loader", "device")}
    assert all(r["step_s"] > 0 and r["gflop_per_step"] > 0 and 0 < r["fraction_of_peak"] < 1 for r in rows)
    assert "pipeline: device" in (out / "train.log").read_text()
    assert (out / "history.csv").read_text().startswith("step,")
    evaluation = (out / "eval.txt").read_text()
    assert "Set5" in evaluation and "Set14" in evaluation and "PSNR" in evaluation
    assert "done in" in (out / "summary.txt").read_text()
