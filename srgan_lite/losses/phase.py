"""The sub-pixel phase loss (not in the paper): penalise a ``scale``-periodic pattern locked to G's LR lattice.

A sub-pixel convolution lays each LR pixel out as a ``scale`` x ``scale`` block; when its ``scale**2``
channels drift apart, every block carries the same offset pattern, a grid of period ``scale`` (chapter 3).
:func:`subpixel_phase_pattern` measures that pattern (the mean of each of the ``scale**2`` phases minus the
overall mean), and :func:`subpixel_phase_loss` asks SR's to match HR's.
"""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from ..errors import ConfigError


def subpixel_phase_pattern(x: Tensor, scale: int = 4, window: int = 0) -> Tensor:
    """The sub-pixel phase pattern of ``x`` per ``window`` x ``window`` tile: (N, C, tiles_y, scale, tiles_x, scale).

    Pixel (y, x) belongs to phase (y mod scale, x mod scale); the pattern is the tile's mean at each phase
    minus the tile's mean. Its energy is the tile's power at the frequencies (k/scale, l/scale) cycles per
    pixel, where a PixelShuffle grid puts its spikes. ``window=0`` takes the whole image (cropped to a
    multiple of ``scale``) as one tile.
    """
    n, c, h, w = x.shape
    size = window or min(h - h % scale, w - w % scale)
    if size % scale:
        raise ConfigError(f"subpixel_phase_loss: window={window} must be a multiple of scale={scale}")
    h, w = h - h % size, w - w % size
    cells = x[..., :h, :w].reshape(n, c, h // size, size // scale, scale, w // size, size // scale, scale)
    phases = cells.mean((3, 6))
    return phases - phases.mean((3, 5), keepdim=True)


def subpixel_phase_loss(sr: Tensor, hr: Tensor, scale: int = 4, window: int = 0) -> Tensor:
    """MSE between the sub-pixel phase patterns of SR and HR (:func:`subpixel_phase_pattern`): the "grid" a
    x``scale`` generator can add.

    Texture has no fixed phase, so this term removes a lattice-locked pattern and nothing else. With ``window``
    (a multiple of ``scale``) the patterns are compared per tile, so a grid that appears only in some regions
    (where G sharpens texture) counts too; 0 = the whole crop. Not in the paper; see the model card of
    ``srgan_x4`` for why it is needed.
    """
    return F.mse_loss(subpixel_phase_pattern(sr, scale, window), subpixel_phase_pattern(hr, scale, window))


def without_phase_pattern(x: Tensor, scale: int = 4, window: int = 16) -> Tensor:
    """``x`` minus its tiled sub-pixel phase pattern: what a feature loss sees with ``loss.phase_free_content``.

    A feature network that cannot see the lattice-locked part of an image cannot reward a grid there; that
    part is left to the pixel and phase losses. Pixels beyond the last whole tile are left as they are.
    """
    n, c, h, w = x.shape
    pattern = subpixel_phase_pattern(x, scale, window)               # (n, c, ty, s, tx, s)
    ty, tx, reps = pattern.shape[2], pattern.shape[4], window // scale
    tiled = pattern[:, :, :, None, :, :, None, :].expand(n, c, ty, reps, scale, tx, reps, scale)
    out = x.clone()
    out[..., : ty * window, : tx * window] -= tiled.reshape(n, c, ty * window, tx * window)
    return out
