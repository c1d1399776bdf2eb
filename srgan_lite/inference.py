"""Super-resolving whole images: uint8 in, uint8 out, with optional tiling so memory stays bounded.

Tiling cuts the LR image into ``tile x tile`` pieces, runs each with ``overlap`` extra LR pixels
of context on every side, and keeps only the centre. When ``overlap`` covers the generator's
receptive-field radius (:func:`receptive_radius`, 40 LR pixels for the paper's SRResNet) the
result equals the untiled one up to float rounding.
"""
from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from .convert import image_to_tensor, signed_to_unit, tensor_to_image
from .errors import ConfigError
from .generator import GeneratorConfig, upsampling_factors


def receptive_radius(config: GeneratorConfig) -> int:
    """Radius, in LR pixels, of the region of the input that one output pixel depends on.

    head 9x9 (4) + 2 per residual block + conv3x3 after the trunk (1) + each sub-pixel conv 3x3
    (1 pixel at its own resolution) + the final 9x9 at HR resolution (4 HR pixels).
    """
    radius, factor = 4 + 2 * config.num_blocks + 1, 1
    for r in upsampling_factors(config.scale):
        radius += 1 / factor
        factor *= r
    radius += 4 / factor
    return math.ceil(radius)


def _run(model: nn.Module, lr: Tensor) -> Tensor:
    return signed_to_unit(model(lr)).clamp_(0.0, 1.0)


@torch.no_grad()
def upscale_tensor(model: nn.Module, lr: Tensor, *, tile: int = 0, overlap: int | None = None) -> Tensor:
    """LR (N, 3, h, w) in [0, 1] -> SR (N, 3, s*h, s*w) in [0, 1] (not yet quantised).

    Args:
        model: an SRResNet (in eval mode; it is not changed).
        tile: LR tile size; 0 processes the whole image at once.
        overlap: LR context pixels around each tile; default :func:`receptive_radius`.
    """
    config: GeneratorConfig = getattr(model, "config", None) or GeneratorConfig()
    if tile < 0:
        raise ConfigError(f"--tile {tile} must be >= 0 (0 = no tiling)")
    _, _, h, w = lr.shape
    if tile == 0 or (tile >= h and tile >= w):
        return _run(model, lr)
    overlap = receptive_radius(config) if overlap is None else overlap
    if overlap < 0:
        raise ConfigError(f"--tile-overlap {overlap} must be >= 0")
    s = config.scale
    out = lr.new_empty(lr.shape[0], 3, h * s, w * s)
    for top in range(0, h, tile):
        for left in range(0, w, tile):
            bottom, right = min(top + tile, h), min(left + tile, w)
            y0, x0 = max(top - overlap, 0), max(left - overlap, 0)
            y1, x1 = min(bottom + overlap, h), min(right + overlap, w)
            sr = _run(model, lr[:, :, y0:y1, x0:x1])
            out[:, :, top * s:bottom * s, left * s:right * s] = sr[
                :, :, (top - y0) * s:(bottom - y0) * s, (left - x0) * s:(right - x0) * s
            ]
    return out


def super_resolve(model: nn.Module, image: np.ndarray, *, tile: int = 0, overlap: int | None = None) -> np.ndarray:
    """RGB uint8 LR image (h, w, 3) -> RGB uint8 SR image (s*h, s*w, 3), on the model's device."""
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    try:
        sr = upscale_tensor(model, image_to_tensor(image).to(device), tile=tile, overlap=overlap)
    finally:
        model.train(was_training)
    return tensor_to_image(sr)


def upscale(image, model: nn.Module | str = "srresnet_x4", *, tile: int = 0, overlap: int | None = None) -> np.ndarray:
    """Super-resolve one image: a path, a PIL image or an RGB uint8 array (any mode is converted).

    Args:
        image: the LR image.
        model: a generator, a registered weights name, or a ``.safetensors`` file.
        tile, overlap: see :func:`upscale_tensor`.

    Returns:
        The SR image as an RGB uint8 array, ``scale`` times larger.
    """
    from .data import read_image

    if isinstance(model, (str, os.PathLike)):
        from .weights import load_pretrained

        model = load_pretrained(model)
    if isinstance(image, (str, os.PathLike)):
        image = read_image(image)
    elif not isinstance(image, np.ndarray):  # PIL
        image = np.asarray(image.convert("RGB"))
    return super_resolve(model, image, tile=tile, overlap=overlap)


def output_path(source: Path, out: Path | None, single: bool, scale: int) -> Path:
    """Where ``upscale`` writes a result: ``-o`` file for one input, else ``<out or source dir>/<stem>_x4.png``."""
    if out is not None and single and out.suffix.lower() in (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"):
        return out
    folder = out if out is not None else source.parent
    return folder / f"{source.stem}_x{scale}.png"


def collect_inputs(inputs: list[str | os.PathLike]) -> list[Path]:
    """Expand folders into their images; name a missing input in a one-line error."""
    from .data import list_images

    paths: list[Path] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            paths.extend(list_images(path))
        elif path.is_file():
            paths.append(path)
        else:
            raise ConfigError(f"input {path} does not exist")
    if not paths:
        raise ConfigError(f"no images found in {', '.join(map(str, inputs))}")
    return paths
