"""Shipped generator weights: a small registry of fp16 safetensors files with sha256 and model cards.

``srgan_lite/weights/registry.json`` maps a name (``srresnet_x4``, ``srgan_mse_x4``, ...) to its file,
sha256, model card and training history; :func:`load_pretrained` accepts such a name or a path to
any ``.safetensors`` file written by :func:`srgan_lite.save_generator`.
"""
from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path

import torch

from .checkpoint import load_generator
from .errors import WeightsError
from .generator import SRResNet

WEIGHTS_DIR = Path(__file__).parent / "weights"
DEFAULT_WEIGHTS = "srresnet_x4"


@lru_cache(maxsize=1)
def registry() -> dict[str, dict]:
    """Registered weights: name -> {file, sha256, card, history, description, ...}."""
    path = WEIGHTS_DIR / "registry.json"
    return json.loads(path.read_text()) if path.exists() else {}


def sha256_of(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


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
    if entry.get("sha256") and sha256_of(path) != entry["sha256"]:
        raise WeightsError(f"weights {name!r}: {path} fails its sha256 check (corrupt file); reinstall srgan-lite")
    return path


def load_pretrained(name_or_path: str | os.PathLike = DEFAULT_WEIGHTS, *, device: str | torch.device = "cpu") -> SRResNet:
    """An SRResNet with trained weights, in eval mode.

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
) -> Path:
    """Add trained weights to the shipped registry (a maintainer's step, run when weights are retrained).

    Args:
        source: a generator ``.safetensors`` file or a training checkpoint (``.pt``).
        name: registry name, e.g. ``srresnet_x4``.
        description: one line for ``srgan-lite data list`` and the docs.
        card: the model card (markdown), saved as ``<name>.md``.
        history: the run's ``history.csv``, copied as ``<name>_history.csv`` for the book's plots.
        scores: evaluation numbers to record in the registry (e.g. {"Set5": [psnr, ssim]}).
    """
    import shutil

    from .checkpoint import load_checkpoint, save_generator
    from .generator import GeneratorConfig

    source = Path(source)
    if source.suffix == ".pt":
        state = load_checkpoint(source)
        model = SRResNet(GeneratorConfig(**state["config"]["model"]))
        model.load_state_dict(state["generator"])
    else:
        model = load_generator(source)
    WEIGHTS_DIR.mkdir(parents=True, exist_ok=True)
    target = save_generator(model, WEIGHTS_DIR / f"{name}.safetensors", dtype=torch.float16, metadata={"name": name})
    (WEIGHTS_DIR / f"{name}.md").write_text(card)
    entry = {"file": target.name, "sha256": sha256_of(target), "card": f"{name}.md", "description": description,
             "config": model.config.to_dict()}
    if history is not None:
        shutil.copyfile(history, WEIGHTS_DIR / f"{name}_history.csv")
        entry["history"] = f"{name}_history.csv"
    if scores:
        entry["scores"] = scores
    path = WEIGHTS_DIR / "registry.json"
    entries = json.loads(path.read_text()) if path.exists() else {}
    entries[name] = entry
    path.write_text(json.dumps(entries, indent=2, sort_keys=True) + "\n")
    registry.cache_clear()
    return target


def history_path(name: str) -> Path:
    """The training history CSV shipped with a registered name."""
    entry = registry().get(name)
    if entry is None or not entry.get("history"):
        raise WeightsError(f"no training history shipped for {name!r}")
    return WEIGHTS_DIR / entry["history"]
