"""Small helpers that several modules need, written once: choosing a device, hashing a file, grey to RGB."""
from __future__ import annotations

import hashlib
import os

import numpy as np
import torch

from .errors import ConfigError


def pick_device(spec: str | torch.device = "auto", local_rank: int = 0) -> torch.device:
    """``auto`` -> this rank's GPU when CUDA is present, else the CPU; ``cpu``, ``cuda``, ``cuda:N`` or a device.

    Raises:
        ConfigError: a CUDA device on a machine without CUDA, or an unknown name.
    """
    if isinstance(spec, torch.device):
        return spec
    if spec == "auto":
        return torch.device(f"cuda:{local_rank}") if torch.cuda.is_available() else torch.device("cpu")
    if spec.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"--device {spec}: CUDA is not available on this machine; use --device cpu or auto")
    if spec not in ("cpu", "cuda") and not spec.startswith("cuda:"):
        raise ConfigError(f"--device {spec!r} is unknown: use auto, cpu, cuda or cuda:N")
    return torch.device(f"cuda:{local_rank}") if spec == "cuda" else torch.device(spec)


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def grey_to_rgb(image: np.ndarray) -> np.ndarray:
    """A grey (H, W) image as RGB (H, W, 3), the grey value in all three channels; (H, W, 3) unchanged."""
    return np.repeat(image[:, :, None], 3, axis=2) if image.ndim == 2 else image
