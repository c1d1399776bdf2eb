"""A run's state on disk: checkpoints (models, optimizers, schedulers, step, RNG states, config) and resuming.

A checkpoint is one ``torch.save`` dict, written atomically by rank 0 every ``run.ckpt_every`` steps as
``checkpoints/step_NNNNNNNN.pt`` (the newest ``run.keep_checkpoints`` are kept), with the keys ``step``,
``config``, ``rng``, ``generator``, ``opt_g``, ``sched_g`` and, for SRGAN, ``discriminator``, ``opt_d``,
``sched_d``. Resuming restores all of them, so that on a CPU with a fixed seed the resumed run repeats the
uninterrupted one's losses exactly; a checkpoint of another stage or architecture is refused by name.
"""
from __future__ import annotations

import random
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
ARCHITECTURE_FIELDS = ("run.stage", "model.scale", "model.num_blocks", "model.channels", "model.batch_norm",
                       "model.icnr", "data.patch_size")


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


def save(trainer) -> Path | None:
    """Write ``checkpoints/step_NNNNNNNN.pt`` atomically (rank 0) and keep the newest ``run.keep_checkpoints``."""
    path = None
    if trainer.info.is_main:
        state = {"step": trainer.step, "config": trainer.config.to_dict(), "rng": rng_state(),
                 "generator": trainer.generator.state_dict(), "opt_g": trainer.opt_g.state_dict(),
                 "sched_g": trainer.sched_g.state_dict()}
        if trainer.gan:
            state.update(discriminator=trainer.discriminator.state_dict(), opt_d=trainer.opt_d.state_dict(),
                         sched_d=trainer.sched_d.state_dict())
        folder = trainer.run_dir / "checkpoints"
        path = save_checkpoint(state, folder / f"step_{trainer.step:08d}.pt")
        for old in sorted(folder.glob("step_*.pt"))[:-trainer.config.run.keep_checkpoints]:
            old.unlink()
    ddp.barrier(trainer.info)
    return path


def resume(trainer) -> tuple[int, list[dict[str, float]]]:
    """Load the newest checkpoint into the trainer's networks, optimizers, schedulers and RNGs.

    Returns the step it was saved at and the history up to that step (``history.csv`` loses later rows).

    Raises:
        CheckpointError: no checkpoint, or one whose stage or architecture differs from the trainer's config.
    """
    path = latest_checkpoint(trainer.run_dir)
    if path is None:
        raise CheckpointError(f"--resume: no checkpoint in {trainer.run_dir / 'checkpoints'}; start without --resume")
    state = load_checkpoint(path, map_location=trainer.device)
    check_resumable(state.get("config", {}), trainer.config.to_dict(), path)
    trainer.generator.load_state_dict(state["generator"])
    trainer.opt_g.load_state_dict(state["opt_g"])
    trainer.sched_g.load_state_dict(state["sched_g"])
    if trainer.gan:
        trainer.discriminator.load_state_dict(state["discriminator"])
        trainer.opt_d.load_state_dict(state["opt_d"])
        trainer.sched_d.load_state_dict(state["sched_d"])
    step = int(state["step"])
    set_rng_state(state["rng"])
    return step, (read_history(trainer.run_dir, step) if trainer.info.is_main else [])


def check_resumable(saved: dict[str, Any], current: dict[str, Any], path: Path) -> None:
    """CheckpointError naming the first of :data:`ARCHITECTURE_FIELDS` that differs between the two configs."""
    for dotted in ARCHITECTURE_FIELDS:
        section, name = dotted.split(".")
        was, now = saved.get(section, {}).get(name), current[section][name]
        if dotted == "data.patch_size" and current["run"]["stage"] != "srgan":
            continue  # only D's input size depends on it
        if was != now:
            raise CheckpointError(
                f"{path} was trained with {dotted}={was!r}, the config now has {dotted}={now!r}: resume with the "
                f"run's own config ({path.parent.parent / 'config.yaml'}) or start a new run folder")
