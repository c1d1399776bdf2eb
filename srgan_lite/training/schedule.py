"""The learning-rate schedule: one multiplier per step, shared by G's and D's optimisers.

The paper (Ledig et al. 2017, Sec. 3.2) trains SRResNet at a constant 10^-4 and SRGAN 10^5 steps at
10^-4, then 10^5 at 10^-5 (``schedule=step``, ``milestones=[100000]``, ``gamma=0.1``); ``cosine`` is
not in the paper (the quick profile's, for short runs). ``warmup_steps`` (not in the paper) ramps any of
them up linearly from the first step.
"""
from __future__ import annotations

import math

import torch
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LambdaLR

from .config import TrainConfig


def lr_factor(config: TrainConfig, step: int) -> float:
    """The learning-rate multiplier after ``step`` steps (constant, step decay, or cosine; times the warm-up ramp)."""
    optim = config.optim
    ramp = min((step + 1) / optim.warmup_steps, 1.0) if optim.warmup_steps else 1.0
    return ramp * _decay(config, step)


def _decay(config: TrainConfig, step: int) -> float:
    optim, total = config.optim, config.run.steps
    if optim.schedule == "step":
        return optim.gamma ** sum(step >= m for m in optim.milestones)
    if optim.schedule == "cosine":
        progress = min(step / max(total, 1), 1.0)
        return optim.min_lr_ratio + (1 - optim.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress))
    return 1.0


def scheduler(config: TrainConfig, optimizer: Optimizer) -> LambdaLR:
    """``optimizer``'s rate becomes ``initial lr * lr_factor(config, step)``, advanced once per training step."""
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: lr_factor(config, step))
