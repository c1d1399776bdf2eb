"""Reading plain data into the config dataclasses, and checking it: every bad value is a one-line ConfigError.

:func:`merge` checks names and types against each field's annotation (so ``run.init=123`` fails although
the field's default is None); :func:`validate` checks ranges, choices, and options that would be ignored
by the chosen stage, schedule, pipeline, loss or model (an option either does what it says or is refused).
"""
from __future__ import annotations

import dataclasses
import re
import types
import typing
from collections.abc import Callable
from typing import Any

from ..errors import ConfigError
from ..losses.adversarial import GAN_LOSSES
from ..losses.content import CONTENT_LOSSES

PROFILES = ("quick", "paper", "texture")
STAGES = ("srresnet", "srgan")
SCHEDULES = ("constant", "step", "cosine")
AMP_MODES = ("auto", "bf16", "off")
SYNC_BN = ("auto", True, False)
PIPELINES = ("loader", "device")


def merge(target: Any, data: dict[str, Any], prefix: str = "") -> None:
    """Merge plain data (from YAML or ``key=value``) into nested dataclasses, checking names and types."""
    hints = _checked_names(target, data, prefix)
    for key, value in data.items():
        name, current = f"{prefix}{key}", getattr(target, key)
        if not dataclasses.is_dataclass(current):
            setattr(target, key, coerce(name, hints[key], value))
            continue
        if not isinstance(value, dict):
            raise ConfigError(f"config key {name!r} needs a mapping of its fields, not {value!r}")
        if current.__dataclass_params__.frozen:  # GeneratorConfig: rebuilt, so that its own checks run
            inner = _checked_names(current, value, f"{name}.")
            setattr(target, key, dataclasses.replace(current, **{k: coerce(f"{name}.{k}", inner[k], v) for k, v in value.items()}))
        else:
            merge(current, value, f"{name}.")


def _checked_names(target: Any, data: dict[str, Any], prefix: str) -> dict[str, Any]:
    """The type annotations of ``target``'s fields, after checking that ``data`` names only those fields."""
    names = [f.name for f in dataclasses.fields(target)]
    for key in data:
        if key not in names:
            raise ConfigError(f"unknown config key {prefix + str(key)!r}: choose from {', '.join(prefix + k for k in names)}")
    return typing.get_type_hints(type(target))


def coerce(name: str, kind: Any, value: Any) -> Any:
    """``value`` as the annotated type ``kind`` (YAML gives ints for floats, strings for ``1e-4``, ...)."""
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        options = [k for k in typing.get_args(kind) if k is not type(None)]
        if value is None:
            if len(options) < len(typing.get_args(kind)):
                return None
        elif isinstance(value, bool) and bool in options:
            return value
        else:
            for option in options:
                try:
                    return coerce(name, option, value)
                except ConfigError:
                    continue
        raise ConfigError(f"config key {name!r}: {value!r} is not valid: give {_describe(kind)}")
    try:
        return _coerce_plain(kind, value)
    except (TypeError, ValueError):
        raise ConfigError(f"config key {name!r}: {value!r} is not valid: give {_describe(kind)}") from None


def _coerce_plain(kind: Any, value: Any) -> Any:
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin is tuple:
        if not isinstance(value, (list, tuple)) or len(value) != len(args):
            raise ValueError
        return tuple(_coerce_plain(k, v) for k, v in zip(args, value))
    if origin is list:
        if not isinstance(value, (list, tuple)):
            raise ValueError
        return [_coerce_plain(args[0], v) for v in value]
    if kind is bool:
        if not isinstance(value, bool):
            raise ValueError
        return value
    if isinstance(value, bool):
        if kind is str:
            return "on" if value else "off"  # YAML 1.1 reads a bare off/on as a boolean
        raise ValueError
    if kind is int:
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if not isinstance(value, int):
            raise ValueError
        return value
    if kind is float:
        if not isinstance(value, (int, float, str)):
            raise ValueError
        return float(value)  # a string: YAML reads 1e-4 (no dot) as text
    if kind is str:
        if not isinstance(value, str):
            raise ValueError
        return value
    raise TypeError(f"no coercion for {kind!r}")


def _describe(kind: Any) -> str:
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin in (typing.Union, types.UnionType):
        return " or ".join("null" if k is type(None) else _describe(k) for k in args)
    if origin is tuple:
        return f"a list of {len(args)} {_describe(args[0]).removeprefix('a ').removeprefix('an ')}s"
    if origin is list:
        return f"a list of {_describe(args[0]).removeprefix('a ').removeprefix('an ')}s"
    return {bool: "true or false", int: "an int", float: "a float", str: "a str"}.get(kind, str(kind))


def _at_least(pairs: list[tuple[str, float]], low: float, what: str) -> None:
    for name, value in pairs:
        if not value >= low:  # NaN fails too
            raise ConfigError(f"{name}={value} must be {what}")


def validate(config: Any, preset: Callable[[str, str], Any]) -> None:
    """Ranges, choices, and options that the chosen stage, schedule, pipeline, loss or model would ignore.

    ``preset(profile, stage)`` is the profile's preset: an ignored option is refused only when it differs from
    the preset's value, i.e. when the user set it (a preset may fill fields that its own choices ignore).
    """
    model, data, run, optim, loss = config.model, config.data, config.run, config.optim, config.loss
    _choose("profile", config.profile, PROFILES)
    _choose("run.stage", run.stage, STAGES)
    _choose("optim.schedule", optim.schedule, SCHEDULES)
    _choose("run.amp", run.amp, AMP_MODES)
    _choose("loss.content", loss.content, CONTENT_LOSSES)
    _choose("loss.gan_type", loss.gan_type, tuple(GAN_LOSSES))
    _choose("run.sync_bn", run.sync_bn, SYNC_BN)
    _choose("data.pipeline", data.pipeline, PIPELINES)
    if not re.fullmatch(r"auto|cpu|cuda(:\d+)?", run.device):
        raise ConfigError(f"run.device={run.device!r} is unknown: use auto, cpu, cuda or cuda:N")
    if data.patch_size % model.scale or data.patch_size < model.scale:
        raise ConfigError(f"data.patch_size={data.patch_size} must be a positive multiple of the scale {model.scale}")
    if run.stage == "srgan" and data.patch_size % 16:
        raise ConfigError(f"data.patch_size={data.patch_size}: the discriminator needs a multiple of 16 (paper: 96)")
    _at_least([("data.batch_size", data.batch_size), ("run.steps", run.steps),
               ("run.keep_checkpoints", run.keep_checkpoints)], 1, "at least 1")
    _at_least([("data.workers", data.workers), ("data.val_crop", data.val_crop), ("data.val_split", data.val_split),
               ("data.max_val_images", data.max_val_images), ("run.seed", run.seed), ("run.log_every", run.log_every),
               ("run.val_every", run.val_every), ("run.ckpt_every", run.ckpt_every),
               ("optim.grad_clip", optim.grad_clip), ("optim.min_lr_ratio", optim.min_lr_ratio),
               ("optim.warmup_steps", optim.warmup_steps),
               ("loss.pixel_weight", loss.pixel_weight), ("loss.phase_weight", loss.phase_weight),
               ("loss.adversarial_weight", loss.adversarial_weight), ("loss.artifact_weight", loss.artifact_weight),
               *((f"optim.milestones[{i}]", m) for i, m in enumerate(optim.milestones))], 0, "0 or more")
    for name, value in (("optim.lr", optim.lr), ("optim.lr_d", optim.lr_d), ("optim.gamma", optim.gamma),
                        ("loss.content_rescale", loss.content_rescale)):
        if value is not None and not value > 0:
            raise ConfigError(f"{name}={value} must be positive" + (" (or null)" if name in ("optim.lr_d", "loss.content_rescale") else ""))
    if optim.warmup_steps >= run.steps:
        raise ConfigError(f"optim.warmup_steps={optim.warmup_steps} must be below run.steps={run.steps}: the ramp "
                          "would be the whole run; use a few hundred steps or fewer")
    if optim.min_lr_ratio > 1:
        raise ConfigError(f"optim.min_lr_ratio={optim.min_lr_ratio} must be at most 1 (the final lr over the first)")
    for index, beta in enumerate(optim.betas):
        if not 0 <= beta < 1:
            raise ConfigError(f"optim.betas[{index}]={beta} must be in [0, 1) (paper: beta1 = 0.9)")
    if not 0 <= run.ema_decay < 1:
        raise ConfigError(f"run.ema_decay={run.ema_decay} must be in [0, 1): 0 turns the average off, 0.999 is usual")
    if loss.artifact_weight and not run.ema_decay:
        raise ConfigError(f"loss.artifact_weight={loss.artifact_weight} compares G with the average of its weights: "
                          "set run.ema_decay (e.g. 0.999), or remove it")
    if data.shift_jitter < 0 or data.shift_jitter % model.scale:
        raise ConfigError(f"data.shift_jitter={data.shift_jitter} must be a non-negative multiple of the scale {model.scale}")
    if run.init_trunk and not run.init:
        raise ConfigError("run.init_trunk=true takes the trunk of the starting network: set run.init (--init), or remove it")
    if run.init_trunk and model.arch != "srresnet":
        raise ConfigError(f"run.init_trunk=true acts on SRResNet's trunk, not model.arch={model.arch}: remove it")
    if optim.freeze_upsampler and not run.init:
        raise ConfigError("optim.freeze_upsampler=true keeps the upsampler of the starting network: set run.init (--init) "
                          "to the weights to fine-tune, or remove it")
    if data.val and data.val_split:
        raise ConfigError(f"data.val={data.val} and data.val_split={data.val_split} both choose the validation images: "
                          f"set data.val_split=0 to validate on {data.val}, or data.val=null")
    for name, value in (("data.train", data.train), ("data.val", data.val), ("run.init", run.init),
                        ("loss.vgg_weights", loss.vgg_weights)):
        if value is not None and not value.strip():
            raise ConfigError(f"{name} is empty: give a name or a path" + ("" if name == "data.train" else " (or null)"))
    _refuse_ignored(config, preset(config.profile, run.stage))


def _refuse_ignored(config: Any, reference: Any) -> None:
    """Options set away from the preset (``reference``) where they would do nothing: an option acts or is refused."""
    model, data, optim, loss, stage = config.model, config.data, config.optim, config.loss, config.run.stage
    rules = (  # (options, whether they act, why not and what to do)
        (("data.shift_jitter", "optim.lr_d", "loss.adversarial_weight", "loss.artifact_weight", "loss.gan_type",
          "discriminator.arch",
          "discriminator.channels"), stage == "srgan",
         f"acts in SRGAN training only (run.stage=srgan); remove it for run.stage={stage}"),
        (("optim.milestones", "optim.gamma"), optim.schedule == "step",
         f"acts with optim.schedule=step only; remove it, or set optim.schedule=step (now {optim.schedule})"),
        (("optim.min_lr_ratio",), optim.schedule == "cosine",
         f"acts with optim.schedule=cosine only; remove it, or set optim.schedule=cosine (now {optim.schedule})"),
        (("data.workers",), data.pipeline == "loader",
         "acts with data.pipeline=loader only (the device pipeline has no workers); remove it"),
        (("loss.vgg_weights", "loss.allow_random_vgg"), loss.content in ("vgg22", "vgg54"),
         f"acts with a VGG content loss only (loss.content=vgg22 or vgg54); with loss.content={loss.content} remove it"),
        (("loss.pixel_weight", "loss.content_rescale"), loss.content != "mse",
         "acts beside a feature content loss only (loss.content=vgg22, vgg54 or lite0_norm); with loss.content=mse "
         "remove it"),
        (("optim.freeze_generator_bn",), model.batch_norm,
         f"acts on G's BatchNorm layers, and this model has none (model.batch_norm=false, model.arch={model.arch}); "
         "remove it"),
    )
    for names, acts, advice in rules:
        for dotted in names if not acts else ():
            section, name = dotted.split(".")
            value = getattr(getattr(config, section), name)
            if value != getattr(getattr(reference, section), name):
                raise ConfigError(f"{dotted}={value} {advice}")


def _choose(name: str, value: Any, choices: tuple) -> None:
    if not any(type(value) is type(c) and value == c for c in choices):  # True is not "auto", 1 is not True
        shown = ", ".join(str(c).lower() if isinstance(c, bool) else str(c) for c in choices)
        raise ConfigError(f"{name}={value!r} is unknown: choose {shown}")
