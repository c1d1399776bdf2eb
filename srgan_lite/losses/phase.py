"""The sub-pixel phase loss (not in the paper): penalise a ``scale``-periodic pattern locked to G's LR lattice.

A sub-pixel convolution lays each LR pixel out as a ``scale`` x ``scale`` block; when its ``scale**2``
channels drift apart, every block carries the same offset pattern, a grid of period ``scale`` (chapter 3).
:func:`subpixel_phase_pattern` measures that pattern (the mean of each of the ``scale**2`` phases minus the
overall mean), and :func:`subpixel_phase_loss` asks SR's to match HR's.
"""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor


def subpixel_phase_pattern(x: Tensor, scale: int) -> Tensor:
    """The sub-pixel phase pattern of ``x``: (N, C, scale, scale).

    Pixel (y, x) belongs to phase (y mod scale, x mod scale); the pattern is the image's mean at each phase
    minus its overall mean (the image cropped to a multiple of ``scale``). Its energy is the image's power at
    the frequencies (k/scale, l/scale) cycles per pixel, where a PixelShuffle grid puts its spikes.
    """
    n, c, h, w = x.shape
    h, w = h - h % scale, w - w % scale
    phases = x[..., :h, :w].reshape(n, c, h // scale, scale, w // scale, scale).mean((2, 4))
    return phases - phases.mean((2, 3), keepdim=True)


def subpixel_phase_loss(sr: Tensor, hr: Tensor, scale: int) -> Tensor:
    """MSE between the sub-pixel phase patterns of SR and HR (:func:`subpixel_phase_pattern`): the "grid" a
    x``scale`` generator can add (``scale``: the generator's).

    Texture has no fixed phase, so this term removes a lattice-locked pattern and nothing else. Not in the
    paper; see the model card of ``srgan_x4``, section Earlier versions, for why the sub-pixel run needed it.
    """
    return F.mse_loss(subpixel_phase_pattern(sr, scale), subpixel_phase_pattern(hr, scale))
