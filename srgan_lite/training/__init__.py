"""Configs, the objective (G and D steps), the loop and its hooks, its state, logs and distributed set-up."""
from __future__ import annotations

from .config import (PROFILES, DataConfig, LossConfig, OptimConfig, RunConfig, TrainConfig, make_config, paper_deviations,
                     training_config)
from .log import HISTORY_FIELDS, read_history
from .loop import Trainer, TrainResult, train
from .objective import GeneratorStep, SRGANObjective, SRResNetObjective
from .schedule import lr_factor

__all__ = [
    "DataConfig", "GeneratorStep", "HISTORY_FIELDS", "LossConfig", "OptimConfig", "PROFILES", "RunConfig",
    "SRGANObjective", "SRResNetObjective", "TrainConfig", "TrainResult", "Trainer", "lr_factor", "make_config",
    "paper_deviations", "read_history", "train", "training_config"
]
