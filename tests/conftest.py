"""Shared test fixtures: tiny deterministic images and the benchmark sets shipped with the package."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from srgan_lite.data.datasets import shipped_folder


def _make_image(height: int, width: int, seed: int = 0) -> np.ndarray:
    """A smooth colour gradient plus texture: RGB uint8, deterministic."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    base = np.stack([x / max(width - 1, 1), y / max(height - 1, 1), (x + y) / max(height + width - 2, 1)], axis=2)
    texture = 0.15 * np.sin(x[..., None] * 0.7 + y[..., None] * 0.3 + np.arange(3))
    noise = rng.normal(0, 0.03, (height, width, 3))
    return np.clip((0.8 * base + texture + noise) * 255 + 0.5, 0, 255).astype(np.uint8)


@pytest.fixture
def make_image():
    """``make_image(height, width, seed=0)``: a deterministic RGB uint8 test image."""
    return _make_image


@pytest.fixture
def tiny_rgb() -> np.ndarray:
    """A 40x52 RGB uint8 image."""
    return _make_image(40, 52)


@pytest.fixture
def image_folder(tmp_path: Path) -> Path:
    """A folder with three 120x100 PNGs (a.png, b.png, c.png)."""
    folder = tmp_path / "images"
    folder.mkdir()
    for seed, name in enumerate("abc"):
        Image.fromarray(_make_image(120, 100, seed)).save(folder / f"{name}.png")
    return folder


@pytest.fixture
def benchmark_root() -> Path:
    """The package's own Set5 and Set14 (``srgan_lite/sets``): ``<root>/<Name>/HR`` and ``LR_bicubic/X4``."""
    return shipped_folder("Set5").parent.parent
