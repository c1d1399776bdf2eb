"""Shipped generator weights: a small registry of fp16 safetensors files with sha256 and model cards.

``srgan_lite/weights/registry.json`` maps a name (``srresnet_x4``, ``srgan_mse_x4``, ...) to its file,
sha256, model card, training history and (where shipped) training configuration; :func:`load_pretrained`
accepts such a name or a path to any ``.safetensors`` file written by :func:`srgan_lite.save_generator`, and
:func:`shipped_config` returns the configuration the weights were trained with (as plain data: the training
layer's ``srgan_lite.training.training_config`` turns it into a ``TrainConfig``).
"""
from __future__ import annotations

import csv
import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

import torch
from torch import nn

from ..errors import WeightsError
from ..utils import sha256_file
from .architectures import build_generator
from .checkpoint import load_generator

WEIGHTS_DIR = Path(__file__).parents[1] / "weights"
DEFAULT_WEIGHTS = "srresnet_x4"


@lru_cache(maxsize=1)
def registry() -> dict[str, dict]:
    """Registered weights: name -> {file, sha256, card, history, description, ...}."""
    path = WEIGHTS_DIR / "registry.json"
    return json.loads(path.read_text()) if path.exists() else {}


def weights_path(name: str) -> Path:
    """The verified file of a registered name."""
    entries = registry()
    if name not in entries:
        names = ", ".join(sorted(entries)) or "none shipped in this install"
        raise WeightsError(f"unknown weights {name!r}: registered names are {names}; or pass a .safetensors file")
    entry = entries[name]
    path = WEIGHTS_DIR / entry["file"]
    if not path.is_file():
        raise WeightsError(f"weights {name!r}: file {path} is missing from this install (reinstall srgan-lite)")
    if entry.get("sha256") and sha256_file(path) != entry["sha256"]:
        raise WeightsError(f"weights {name!r}: {path} fails its sha256 check (corrupt file); reinstall srgan-lite")
    return path


def load_pretrained(name_or_path: str | os.PathLike = DEFAULT_WEIGHTS, *, device: str | torch.device = "cpu") -> nn.Module:
    """A generator with trained weights (the architecture its file names: SRResNet, RRDBNet), in eval mode.

    Args:
        name_or_path: a registered name (see :func:`registry`) or a ``.safetensors`` file.
        device: where to put the model.
    """
    text = str(name_or_path)
    if text in registry():
        return load_generator(weights_path(text), map_location=device)
    path = Path(text)
    if path.suffix == ".safetensors" or path.exists():
        return load_generator(path, map_location=device)
    return load_generator(weights_path(text), map_location=device)  # raises the "unknown weights" error


def pretrained_generator(arch: str, weights: str | os.PathLike, overrides: dict) -> nn.Module:
    """What a builder such as ``srresnet(weights=...)`` returns: :func:`load_pretrained` of ``weights``, refused
    in one line when it is not an ``arch`` or when an override contradicts the weights' config (as torchvision's
    builders refuse a ``num_classes`` that is not the weights')."""
    model = load_pretrained(weights)
    config, shown = model.config, str(weights)
    if config.arch != arch:
        raise WeightsError(f"weights {shown!r} are a generator of arch {config.arch!r}, not {arch!r}: "
                           f"use srgan_lite.{config.arch}(weights={shown!r}) or load_pretrained({shown!r})")
    for name, value in overrides.items():
        if not hasattr(config, name):
            raise TypeError(f"{arch}() got an unexpected keyword argument {name!r}")
        if getattr(config, name) != value:
            raise WeightsError(f"{arch}(weights={shown!r}, {name}={value!r}): the weights have {name}="
                               f"{getattr(config, name)!r}; leave {name} out")
    return model


def model_card(name: str) -> str:
    """The model card (markdown) of a registered name."""
    entry = registry().get(name)
    if entry is None or not entry.get("card"):
        raise WeightsError(f"no model card for {name!r}")
    return (WEIGHTS_DIR / entry["card"]).read_text()


def publish(
    source: str | os.PathLike,
    name: str,
    *,
    description: str,
    card: str,
    history: str | os.PathLike | None = None,
    scores: dict | None = None,
    config: Any = None,
) -> Path:
    """Add trained weights to the shipped registry (a maintainer's step, run when weights are retrained).

    Args:
        source: a generator ``.safetensors`` file or a training checkpoint (``.pt``; with ``run.ema_decay``, its
            average of G, which is what the run exports).
        name: registry name, e.g. ``srresnet_x4``.
        description: one line for ``srgan-lite data list`` and the docs.
        card: the model card (markdown), saved as ``<name>.md``.
        history: the run's ``history.csv``, copied as ``<name>_history.csv`` for the book's plots.
        scores: evaluation numbers to record in the registry (e.g. {"Set5": [psnr, ssim]}).
        config: the configuration the weights were trained with, saved as ``<name>_config.yaml`` (registry key
            ``train_config``) and read back by ``srgan_lite.training.training_config``: a mapping stage name ->
            ``TrainConfig`` (or its ``to_dict()``), in training order, the last the stage that produced the weights (e.g.
            ``{"srresnet": warm_start, "srgan": adversarial}``); a single ``TrainConfig`` is stored under its
            ``run.stage``. Give ``run.steps`` as the steps actually run, and names, not machine paths, in
            ``data.train``, ``data.val``, ``run.init`` (the book prints them): an absolute path is refused.
    """
    import shutil

    from .checkpoint import load_checkpoint, save_generator
    from .srresnet import GeneratorConfig

    stages_yaml = _config_yaml(name, config) if config is not None else None  # refused before anything is written
    source = Path(source)
    if source.suffix == ".pt":
        state = load_checkpoint(source)
        model = build_generator(GeneratorConfig(**state["config"]["model"]))
        if "ema" in state:  # a run with run.ema_decay exports the average (AveragedModel keeps G under "module.")
            model.load_state_dict({k.removeprefix("module."): v for k, v in state["ema"].items() if k.startswith("module.")})
        else:
            model.load_state_dict(state["generator"])
    else:
        model = load_generator(source)
    WEIGHTS_DIR.mkdir(parents=True, exist_ok=True)
    target = save_generator(model, WEIGHTS_DIR / f"{name}.safetensors", dtype=torch.float16, metadata={"name": name})
    (WEIGHTS_DIR / f"{name}.md").write_text(card)
    entry = {"file": target.name, "sha256": sha256_file(target), "card": f"{name}.md", "description": description,
             "config": model.config.to_dict()}
    if history is not None:
        shutil.copyfile(history, WEIGHTS_DIR / f"{name}_history.csv")
        entry["history"] = f"{name}_history.csv"
    if scores:
        entry["scores"] = scores
    if stages_yaml is not None:
        (WEIGHTS_DIR / f"{name}_config.yaml").write_text(stages_yaml)
        entry["train_config"] = f"{name}_config.yaml"
    path = WEIGHTS_DIR / "registry.json"
    entries = json.loads(path.read_text()) if path.exists() else {}
    entries[name] = entry
    path.write_text(json.dumps(entries, indent=2, sort_keys=True) + "\n")
    registry.cache_clear()
    return target


def _config_yaml(name: str, config: Any) -> str:
    """``publish``'s ``config`` as the YAML of ``<name>_config.yaml``: stage name -> ``TrainConfig.to_dict()``.

    Duck-typed on ``to_dict()`` so that this layer does not import the training layer above it.
    """
    import yaml

    if hasattr(config, "to_dict") and hasattr(config, "run"):  # one TrainConfig: stored under its stage
        config = {config.run.stage: config}
    if not isinstance(config, Mapping) or not config:
        raise WeightsError(f"publish({name!r}, config=...): give a TrainConfig or a mapping stage name -> TrainConfig, "
                           f"not {type(config).__name__}")
    stages = {}
    for stage, value in config.items():
        data = value.to_dict() if hasattr(value, "to_dict") else value
        if not isinstance(data, Mapping):
            raise WeightsError(f"publish({name!r}, config=...): stage {stage!r} is a {type(data).__name__}, not a "
                               f"TrainConfig or its to_dict()")
        data = _plain(data)  # plain YAML types (Adam's betas as a list)
        for section, fields in data.items():
            for key, field in fields.items() if isinstance(fields, dict) else ():
                if isinstance(field, str) and (os.path.isabs(field) or field.startswith("~")):
                    raise WeightsError(f"publish({name!r}, config=...): stage {stage!r} has the machine path "
                                       f"{section}.{key}={field!r}; ship a name (registered weights, dataset, file "
                                       f"name) or null instead")
        stages[str(stage)] = data
    return yaml.safe_dump(stages, sort_keys=False)


def _plain(value: Any) -> Any:
    """Tuples as lists, nested: what ``yaml.safe_dump`` writes as plain YAML."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def shipped_config(name: str) -> dict[str, dict]:
    """The configuration a registered name's weights were trained with, as shipped beside them: a mapping stage
    name -> that stage's ``TrainConfig.to_dict()``, in training order (``<name>_config.yaml``, written by
    :func:`publish`). ``srgan_lite.training.training_config`` returns one stage as a ``TrainConfig``.

    Raises:
        WeightsError: an unknown name, weights that ship no configuration, or a missing or unreadable file.
    """
    import yaml

    entries = registry()
    shipped = sorted(n for n, e in entries.items() if e.get("train_config")) or ["none in this install"]
    if name not in entries:
        raise WeightsError(f"unknown weights {name!r}: the names that ship a training configuration are "
                           f"{', '.join(shipped)}")
    file = entries[name].get("train_config")
    if not file:
        raise WeightsError(f"weights {name!r} ship no training configuration (no train_config in registry.json; "
                           f"its model card describes the run): names that ship one are {', '.join(shipped)}")
    path = WEIGHTS_DIR / file
    if not path.is_file():
        raise WeightsError(f"weights {name!r}: training configuration {path} is missing from this install "
                           f"(reinstall srgan-lite)")
    try:
        stages = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise WeightsError(f"weights {name!r}: {path} is not valid YAML ({str(exc).splitlines()[0]}); "
                           f"reinstall srgan-lite") from exc
    if not isinstance(stages, dict) or not stages:
        raise WeightsError(f"weights {name!r}: {path} holds no stages (a mapping stage name -> configuration); "
                           f"republish it with publish(..., config=...)")
    return stages


def history_path(name: str) -> Path:
    """The training history CSV shipped with a registered name."""
    entry = registry().get(name)
    if entry is None or not entry.get("history"):
        raise WeightsError(f"no training history shipped for {name!r}")
    return WEIGHTS_DIR / entry["history"]


def read_history(name_or_path: str | os.PathLike) -> list[dict[str, float]]:
    """A training history (``history.csv`` of a run, or the one shipped with a registered name) as rows of floats.

    Empty cells (a value not logged at that step, e.g. validation between ``run.val_every`` steps) are left out
    of their row, so ``[row["val_psnr"] for row in rows if "val_psnr" in row]`` is the validation curve.
    """
    path = history_path(str(name_or_path)) if str(name_or_path) in registry() else Path(name_or_path)
    if not path.is_file():
        raise WeightsError(f"no training history at {path}: give a registered name ({', '.join(registry())}) or a history.csv")
    with open(path, newline="") as handle:
        return [{key: float(value) for key, value in row.items() if value not in ("", None)} for row in csv.DictReader(handle)]


def interpolate_weights(model_a: nn.Module, model_b: nn.Module, alpha: float) -> nn.Module:
    """Network interpolation: a new generator with ``theta(alpha) = (1 - alpha) theta_A + alpha theta_B``.

    ESRGAN (Wang et al., ECCV Workshops 2018, Sec. 3.4 "Network Interpolation") interpolates, parameter
    by parameter, between a PSNR-oriented generator (A, e.g. SRResNet) and a GAN-trained one (B, e.g.
    SRGAN) fine-tuned from it, to move continuously along the perception-distortion trade-off of
    Blau & Michaeli (CVPR 2018) without retraining: alpha = 0 is A, alpha = 1 is B. It works because
    B starts from A's weights, so both lie in one basin and every intermediate network still works.

    Every floating-point parameter and buffer (BatchNorm running means and variances included) is
    interpolated in float64 and stored in A's dtype; ``alpha = 0`` returns A's values and ``alpha = 1``
    B's, bit for bit. Integer buffers (BatchNorm's ``num_batches_tracked``) cannot be blended: they get
    the interpolated count rounded to the nearest integer (never below 0); they only matter for
    BatchNorm with ``momentum=None``, which SRResNet does not use. Values of ``alpha`` outside [0, 1]
    extrapolate (allowed, but then the result is no longer between the two networks).

    Args:
        model_a: the generator at ``alpha = 0`` (its device and dtype are kept).
        model_b: the generator at ``alpha = 1``: same architecture (``arch`` and config; any registered arch).
        alpha: the interpolation weight of B.

    Returns:
        A new generator of A's architecture, in eval mode; neither input is modified.

    Raises:
        WeightsError: the two networks have different architectures.
    """
    import math

    from ..errors import ConfigError

    alpha = float(alpha)
    if not math.isfinite(alpha):
        raise ConfigError(f"alpha must be a finite number, got {alpha}")
    config_a, config_b = getattr(model_a, "config", None), getattr(model_b, "config", None)
    if config_a is None or config_b is None or config_a != config_b:
        raise WeightsError(f"cannot interpolate different architectures: {config_a} vs {config_b}")
    state_a, state_b = model_a.state_dict(), model_b.state_dict()
    if list(state_a) != list(state_b):
        only = sorted(set(state_a) ^ set(state_b))
        raise WeightsError(f"cannot interpolate: parameter names differ (e.g. {only[0] if only else 'their order'})")
    mixed = {}
    for name, a in state_a.items():
        b = state_b[name].to(a.device)
        if a.shape != b.shape:
            raise WeightsError(f"cannot interpolate: {name} is {tuple(a.shape)} in A but {tuple(b.shape)} in B")
        value = (1.0 - alpha) * a.double() + alpha * b.double()
        if a.is_floating_point():
            mixed[name] = value.to(a.dtype)
        else:
            mixed[name] = value.round().clamp_min(0).to(a.dtype)
    model = build_generator(config_a)
    model.load_state_dict(mixed)
    reference = next(iter(model_a.parameters()), None)
    if reference is not None:
        model = model.to(device=reference.device, dtype=reference.dtype)
    return model.eval()
