"""A run's state on disk: checkpoints (models, optimizers, schedulers, EMA, step, RNG states, config) and resuming.

A checkpoint is one ``torch.save`` dict, written atomically by rank 0 every ``run.ckpt_every`` steps as
``checkpoints/step_NNNNNNNN.pt`` (the newest ``run.keep_checkpoints`` are kept), with the keys ``step``,
``config``, ``rng`` and one per object the trainer names (:meth:`srgan_lite.training.loop.Trainer.checkpointed`):
``generator``, ``opt_g``, ``sched_g``, for SRGAN ``discriminator``, ``opt_d``, ``sched_d``, and with
``run.ema_decay`` ``ema``. Resuming restores all of them, so that on a CPU with a fixed seed the resumed run
repeats the uninterrupted one's losses exactly; a checkpoint of another stage or architecture is refused by name.
This module knows no trainer: it saves and loads what it is given.
"""
from __future__ import annotations

import random
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from ..errors import CheckpointError
from ..models.checkpoint import load_checkpoint, save_checkpoint
from . import distributed as ddp
from .log import read_history

#: Fields a checkpoint's networks were built from: resuming with other values cannot load its weights.
ARCHITECTURE_FIELDS = ("run.stage", "model.arch", "model.scale", "model.num_blocks", "model.channels",
                       "model.batch_norm", "model.icnr", "model.growth", "model.upsampler", "discriminator.arch",
                       "discriminator.channels", "data.patch_size")

#: What checkpoints written before a field existed were trained with.
BEFORE_THE_FIELD = {"model.arch": "srresnet", "model.upsampler": "subpixel", "discriminator.arch": "paper",
                    "discriminator.channels": 64}


def rng_state() -> dict[str, Any]:
    """The torch, Python, NumPy (and CUDA) random states, as tensors and plain data."""
    python, numpy = random.getstate(), np.random.get_state()
    state = {"torch": torch.get_rng_state(), "python": list(python[1]), "python_version": python[0],
             "python_gauss": python[2] or 0.0, "numpy": torch.from_numpy(numpy[1].astype(np.int64)),
             "numpy_pos": int(numpy[2])}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    state = {k: (v.cpu() if isinstance(v, Tensor) else v) for k, v in state.items()}
    torch.set_rng_state(state["torch"])
    random.setstate((state["python_version"], tuple(state["python"]), state["python_gauss"] or None))
    np.random.set_state(("MT19937", state["numpy"].numpy().astype(np.uint32), state["numpy_pos"], 0, 0.0))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def latest_checkpoint(run_dir: Path) -> Path | None:
    found = sorted((run_dir / "checkpoints").glob("step_*.pt"))
    return found[-1] if found else None


def save(run_dir: Path, step: int, objects: Mapping[str, Any], *, config: dict[str, Any], keep: int,
         info: ddp.Dist) -> Path | None:
    """Write ``checkpoints/step_NNNNNNNN.pt`` atomically (rank 0) and keep the newest ``keep``.

    Args:
        objects: what has a ``state_dict`` (networks, optimizers, schedulers, the EMA), by checkpoint key.
        config: the run's config as plain data (:meth:`TrainConfig.to_dict`).
    """
    path = None
    if info.is_main:
        state = {"step": step, "config": config, "rng": rng_state(),
                 **{name: thing.state_dict() for name, thing in objects.items()}}
        folder = run_dir / "checkpoints"
        path = save_checkpoint(state, folder / f"step_{step:08d}.pt")
        for old in sorted(folder.glob("step_*.pt"))[:-keep]:
            old.unlink()
    ddp.barrier(info)
    return path


def resume(run_dir: Path, objects: Mapping[str, Any], *, config: dict[str, Any], device: torch.device,
           info: ddp.Dist) -> tuple[int, list[dict[str, float]]]:
    """Load the newest checkpoint of ``run_dir`` into ``objects`` (by key, as :func:`save` wrote them) and the RNGs.

    Returns the step it was saved at and the history up to that step (``history.csv`` loses later rows).

    Raises:
        CheckpointError: no checkpoint, one whose stage or architecture differs from ``config``, or one without
            the state of one of ``objects`` (e.g. ``ema``: the run was trained with ``run.ema_decay=0``).
    """
    path = latest_checkpoint(run_dir)
    if path is None:
        raise CheckpointError(f"--resume: no checkpoint in {run_dir / 'checkpoints'}; start without --resume")
    state = load_checkpoint(path, map_location=device)
    check_resumable(state.get("config", {}), config, path)
    missing = [name for name in objects if name not in state]
    if missing:
        raise CheckpointError(f"{path} holds no {missing[0]!r} state (the run was trained without it): resume with the "
                              f"run's own config ({path.parent.parent / 'config.yaml'}) or start a new run folder")
    for name, thing in objects.items():
        thing.load_state_dict(state[name])
    step = int(state["step"])
    set_rng_state(state["rng"])
    return step, (read_history(run_dir, step) if info.is_main else [])


def check_resumable(saved: dict[str, Any], current: dict[str, Any], path: Path) -> None:
    """CheckpointError naming the first of :data:`ARCHITECTURE_FIELDS` that differs between the two configs."""
    for dotted in ARCHITECTURE_FIELDS:
        section, name = dotted.split(".")
        # checkpoints written before model.arch / discriminator existed hold SRResNets and the paper's D
        was = saved.get(section, {}).get(name, BEFORE_THE_FIELD.get(dotted))
        now = current[section][name]
        if dotted == "data.patch_size" and current["run"]["stage"] != "srgan":
            continue  # only D's input size depends on it
        if was != now:
            raise CheckpointError(
                f"{path} was trained with {dotted}={was!r}, the config now has {dotted}={now!r}: resume with the "
                f"run's own config ({path.parent.parent / 'config.yaml'}) or start a new run folder")
