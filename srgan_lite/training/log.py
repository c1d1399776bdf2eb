"""What a training run shows and keeps while it runs: ``history.csv``, TensorBoard, a progress bar or log
lines, and a sample image per validation (rank 0 only; the other ranks log nothing)."""
from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import Any

import numpy as np

from ..utils import grey_to_rgb

#: Columns of ``history.csv`` ("lr" is the learning rate; "adversarial" the unweighted l_Gen, "adversarial_weight"
#: its weight in Eq. 3, so that a history joined from stages of different weights plots its weighted terms; a
#: resumed run rewrites the file with these).
HISTORY_FIELDS = ("step", "lr", "loss_g", "content", "pixel", "phase", "artifact", "adversarial", "adversarial_weight",
                  "loss_d", "d_real", "d_fake", "val_psnr", "val_ssim", "images_per_s", "elapsed_s")


class RunLog:
    """The run's log on rank 0: every row goes to ``history`` (a list), ``history.csv``, TensorBoard and the screen.

    Args:
        run_dir: the run folder.
        history: rows already logged (a resumed run's rows up to its checkpoint).
        enabled: False on ranks other than 0: nothing is written or shown.
        progress: a tqdm bar from ``start`` to ``total`` steps; else one printed line per row when ``print_rows``.
    """

    def __init__(self, run_dir: Path, history: list[dict[str, Any]], *, enabled: bool, progress: bool,
                 start: int, total: int, print_rows: bool) -> None:
        self.run_dir, self.history, self.enabled, self.print_rows = run_dir, history, enabled, print_rows
        self.writer = _tensorboard(run_dir) if enabled else None
        self.bar = None
        if enabled and progress:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, initial=start, unit="step", dynamic_ncols=True)

    def row(self, row: dict[str, Any]) -> None:
        if not self.enabled:
            return
        self.history.append(row)
        path = self.run_dir / "history.csv"
        new = not path.exists()
        with path.open("a", newline="") as f:
            out = csv.DictWriter(f, HISTORY_FIELDS, extrasaction="ignore")
            if new:
                out.writeheader()
            out.writerow(row)
        if self.writer is not None:
            for key, value in row.items():
                if key != "step":
                    self.writer.add_scalar(key, value, row["step"])
        shown = {k: f"{row[k]:.4g}" for k in ("loss_g", "loss_d", "val_psnr") if k in row}
        if self.bar is not None:
            self.bar.set_postfix(shown, refresh=False)
        elif self.print_rows:
            print(f"step {row['step']:>6}  " + "  ".join(f"{k} {v}" for k, v in shown.items()), flush=True)

    def progress(self, step: int) -> None:
        if self.bar is not None:
            self.bar.update(step - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def read_history(run_dir: Path, up_to_step: int) -> list[dict[str, float]]:
    """The rows of ``history.csv`` up to a step; the file is rewritten without the later rows (a resumed run
    logs them again) and with today's columns."""
    path = run_dir / "history.csv"
    if not path.exists():
        return []
    with path.open() as f:
        rows = [r for r in csv.DictReader(f) if int(r["step"]) <= up_to_step]
    with path.open("w", newline="") as f:
        out = csv.DictWriter(f, HISTORY_FIELDS, extrasaction="ignore")
        out.writeheader()
        out.writerows(rows)
    return [{k: float(v) for k, v in r.items() if v not in ("", None)} for r in rows]


def save_sample_grid(generator, image: np.ndarray, scale: int, path: Path, size: int = 192) -> Path:
    """``path`` (PNG): bicubic | G | HR on a centre crop of ``image``, G run in eval mode."""
    from PIL import Image

    from ..data.imresize import bicubic_degrade, imresize_uint8, modcrop
    from ..inference import super_resolve

    hr = grey_to_rgb(modcrop(centre_crop(image, size), scale))
    lr_image = bicubic_degrade(hr, scale)
    panels = [imresize_uint8(lr_image, scale), super_resolve(generator, lr_image), hr]
    gap = np.full((hr.shape[0], 4, 3), 255, np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.concatenate([panels[0], gap, panels[1], gap, panels[2]], axis=1)).save(path)
    return path


def centre_crop(image: np.ndarray, size: int) -> np.ndarray:
    h, w = image.shape[:2]
    top, left = max((h - size) // 2, 0), max((w - size) // 2, 0)
    return image[top:top + size, left:left + size]


def _tensorboard(run_dir: Path):
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:  # TensorBoard is optional
        return None
    return SummaryWriter(str(run_dir / "tensorboard"))


class LossWindow:
    """Sums of the step statistics since the last log row, kept on the device (no synchronisation per step),
    and whether every loss so far was finite."""

    def __init__(self, device) -> None:
        import torch

        self.finite = torch.ones((), dtype=torch.bool, device=device)
        self.sums: dict[str, Any] = {}
        self.steps, self.started = 0, time.perf_counter()

    def add(self, stats: dict[str, Any]) -> None:
        import torch

        self.finite &= torch.isfinite(stats["loss_g"]) & torch.isfinite(stats.get("loss_d", stats["loss_g"]))
        for key, value in stats.items():
            self.sums[key] = self.sums.get(key, 0.0) + value
        self.steps += 1

    def row(self, info, batch_size: int) -> dict[str, float]:
        """The window's mean statistics over all ranks and its throughput; then a new window starts."""
        from . import distributed as ddp

        seconds = time.perf_counter() - self.started
        row = {k: float(ddp.all_reduce_mean(v / self.steps, info)) for k, v in self.sums.items()}
        row["images_per_s"] = self.steps * batch_size / max(seconds, 1e-9)
        self.sums, self.steps, self.started = {}, 0, time.perf_counter()
        return row
