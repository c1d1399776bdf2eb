"""Configs, the G and D steps, the loop, its state, logs and distributed set-up."""
from __future__ import annotations

from .config import PROFILES, DataConfig, LossConfig, OptimConfig, RunConfig, TrainConfig, make_config
from .log import HISTORY_FIELDS, read_history
from .loop import Trainer, TrainResult, lr_factor, train
