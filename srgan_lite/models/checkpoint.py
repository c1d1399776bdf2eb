"""Saving and loading without ever losing work or running untrusted code.

* Training checkpoints: one ``torch.save`` file (model, optimizer, scheduler, step, RNG states,
  config as plain data), written to a temporary file, fsynced, then renamed over the target, so a
  crash mid-write leaves the previous checkpoint intact. Loaded with ``weights_only=True``: a file
  that needs to unpickle arbitrary objects is refused.
* Generator weights: safetensors, with the architecture (``arch`` and the :class:`GeneratorConfig`) in
  the metadata, so the file alone rebuilds the model, of any registered architecture
  (:data:`srgan_lite.models.architectures.ARCHITECTURES`); a file without ``arch`` is an SRResNet.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file
from torch import nn

from ..errors import CheckpointError, ConfigError, WeightsError
from .architectures import build_generator
from .srresnet import GeneratorConfig


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # not supported on every platform
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: str | os.PathLike, write) -> Path:
    """Call ``write(file_object)`` on a temp file beside ``path``, fsync it, then rename it to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600 files; give the usual permissions
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def save_checkpoint(state: dict[str, Any], path: str | os.PathLike) -> Path:
    """Atomically ``torch.save`` a checkpoint dict (tensors, numbers, strings, lists, dicts only)."""
    return atomic_write(path, lambda f: torch.save(state, f))


def load_checkpoint(path: str | os.PathLike, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load a checkpoint with ``weights_only=True``; refuse anything that needs arbitrary unpickling."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:
        text = str(exc)
        if "weights_only" in text or "Unsupported global" in text or "Unpickl" in type(exc).__name__:
            raise CheckpointError(
                f"refusing to load {path}: it contains pickled objects that are not tensors or plain data "
                "(only load checkpoints you trust, and re-save them with srgan_lite)"
            ) from None
        raise CheckpointError(f"cannot read checkpoint {path}: {type(exc).__name__}: {text.splitlines()[0][:160] if text else ''}") from None
    if not isinstance(state, dict):
        raise CheckpointError(f"checkpoint {path} holds a {type(state).__name__}, not a dict")
    return state


def load_state_dict_strict(model: nn.Module, state_dict: dict[str, torch.Tensor], source: str) -> None:
    """``load_state_dict`` with a one-line error naming the file and the first mismatches."""
    own = model.state_dict()
    missing = [k for k in own if k not in state_dict]
    unexpected = [k for k in state_dict if k not in own]
    wrong = [f"{k} {tuple(state_dict[k].shape)} vs {tuple(v.shape)}" for k, v in own.items()
             if k in state_dict and state_dict[k].shape != v.shape]
    if missing or unexpected or wrong:
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing (e.g. {missing[0]})")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected (e.g. {unexpected[0]})")
        if wrong:
            parts.append(f"{len(wrong)} of another shape (e.g. {wrong[0]})")
        raise WeightsError(f"{source} does not fit {type(model).__name__}: " + "; ".join(parts))
    model.load_state_dict({k: v.to(own[k].dtype) for k, v in state_dict.items()})


def save_generator(
    model: nn.Module,
    path: str | os.PathLike,
    *,
    dtype: torch.dtype | None = None,
    metadata: dict[str, str] | None = None,
) -> Path:
    """Save a generator (any registered architecture) as safetensors, with its ``arch`` and
    :class:`GeneratorConfig` in the metadata.

    Args:
        model: a generator with a ``.config`` (SRResNet, RRDBNet, ...).
        dtype: cast floating tensors (``torch.float16`` for shipped weights); None keeps them.
        metadata: extra string fields stored in the header.
    """
    config = getattr(model, "config", None)
    if not isinstance(config, GeneratorConfig):
        raise WeightsError(f"cannot save {type(model).__name__} to {path}: save_generator needs a generator with a "
                           ".config (GeneratorConfig), e.g. one built by build_generator")
    tensors = {}
    for name, tensor in model.state_dict().items():
        tensor = tensor.detach().cpu()
        if dtype is not None and tensor.is_floating_point():
            tensor = tensor.to(dtype)
        tensors[name] = tensor.contiguous()
    header = {"format": "srgan_lite", "architecture": config.arch, "config": json.dumps(config.to_dict())}
    header.update(metadata or {})
    return atomic_write(path, lambda f: f.write(_safetensors_bytes(tensors, header)))


def _safetensors_bytes(tensors: dict[str, torch.Tensor], metadata: dict[str, str]) -> bytes:
    from safetensors.torch import save

    return save(tensors, metadata=metadata)


def read_generator_file(path: str | os.PathLike) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """Tensors and metadata of a generator safetensors file, with one-line errors."""
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"weights file {path} does not exist")
    try:
        from safetensors import safe_open

        with safe_open(str(path), framework="pt") as f:
            metadata = f.metadata() or {}
        tensors = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise WeightsError(f"{path} is not a readable safetensors file: {str(exc).splitlines()[0][:160]}") from None
    return tensors, metadata


def generator_config(metadata: dict[str, str], source: str) -> GeneratorConfig:
    """The :class:`GeneratorConfig` in a weights file's metadata (no ``config``: the paper's SRResNet x4;
    no ``arch``: an SRResNet, as in the files shipped before RRDBNet)."""
    try:
        fields = json.loads(metadata["config"]) if "config" in metadata else {}
    except json.JSONDecodeError as exc:
        raise WeightsError(f"{source} has an unreadable generator config in its metadata: {exc}") from None
    arch = metadata.get("architecture", "srresnet")
    if fields.setdefault("arch", arch) != arch:
        raise WeightsError(f"{source} is inconsistent: its metadata says architecture={arch!r} but its config "
                           f"arch={fields['arch']!r}; re-save it with save_generator")
    try:
        return GeneratorConfig(**fields)
    except (TypeError, ConfigError) as exc:
        raise WeightsError(f"{source} has a generator config this srgan_lite cannot build ({exc}); "
                           "upgrade srgan-lite or re-save the file") from None


def load_generator(path: str | os.PathLike, map_location: str | torch.device = "cpu") -> nn.Module:
    """Rebuild a generator (SRResNet, RRDBNet, ...) from a safetensors file written by :func:`save_generator`,
    in eval mode and fp32."""
    tensors, metadata = read_generator_file(path)
    model = build_generator(generator_config(metadata, str(path)))
    load_state_dict_strict(model, tensors, str(path))
    return model.to(map_location).eval()


def average_checkpoints(paths: list[str | os.PathLike]) -> nn.Module:
    """G with its weights averaged over training checkpoints, after a run (an earlier ``srgan_x4`` shipped such an
    average; the current one is the moving average that the trainer keeps, ``run.ema_decay``).

    A GAN's generator oscillates from step to step as the two players move; the mean of its weights over the
    last checkpoints cancels much of that (Izmailov et al. 2018; Yazici et al. 2019 for GANs; ProGAN and
    ESRGAN keep a moving average of G). Floating tensors (BatchNorm's running statistics included) are
    averaged in float64; integer ones (BatchNorm's batch counters) are taken from the last checkpoint.
    Works for any registered architecture (``config.model.arch`` of the checkpoints).

    Raises:
        CheckpointError: no paths, a checkpoint without a generator, or checkpoints of different generators.
    """
    if not paths:
        raise CheckpointError("average_checkpoints needs at least one checkpoint path")
    states, config = [], None
    for path in paths:
        state = load_checkpoint(path)
        if "generator" not in state:
            raise CheckpointError(f"checkpoint {path} has no 'generator' entry: pass training checkpoints "
                                  "(runs/NAME/checkpoints/step_*.pt)")
        try:
            model_config = GeneratorConfig(**state.get("config", {}).get("model", {}))
        except (TypeError, ConfigError) as exc:
            raise CheckpointError(f"checkpoint {path} has an unreadable model config: {exc}") from None
        if config is not None and model_config != config:
            raise CheckpointError(f"checkpoint {path} is of another generator ({model_config}) than {paths[0]} "
                                  f"({config}): average checkpoints of one run")
        config = model_config
        states.append(state["generator"])
    model = build_generator(config)
    averaged = {name: (torch.stack([s[name].double() for s in states]).mean(0) if last.is_floating_point() else last)
                for name, last in states[-1].items()}
    load_state_dict_strict(model, averaged, str(paths[-1]))
    return model.eval()
