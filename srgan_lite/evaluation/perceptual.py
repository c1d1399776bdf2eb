"""What PSNR misses: a feature-space distance and a grid score, beside the high-frequency ratio.

PSNR rewards the blurry mean of all plausible images (Ledig et al. 2017, Sec. 1). Three offline
measures describe what it cannot see; none is a mean opinion score, and each is printed with that
caveat:

* :func:`feature_distance` -- LPIPS-style (Zhang et al. 2018) but **uncalibrated**: the unit-normalised
  feature maps of an ImageNet network (EfficientNet-Lite0, :mod:`srgan_lite.losses.efficientnet`) at five
  depths, squared differences averaged over space and summed with equal weights, where LPIPS learns
  the weights from human judgements. Lower = closer to HR in "what the image shows". The SRGAN of this
  project is trained with a loss on the same network, so on our own models it is not independent
  evidence; the two network-free measures are.
* :func:`srgan_lite.evaluation.metrics.spectral_energy_ratio` -- power above the LR Nyquist frequency, SR / HR.
* :func:`grid_score` -- power at the harmonics of a ``scale``-pixel period (the PixelShuffle grid of a
  x``scale`` generator; at x4 they include the 2-pixel checkerboard of a strided discriminator's
  gradients) relative to neighbouring frequencies, SR against HR. 1 = no more grid than the ground
  truth; 10 = ten times more.
"""
from __future__ import annotations

from functools import lru_cache

import torch
from torch import Tensor

from ..data.convert import unit_to_signed
from ..errors import ConfigError
from ..losses.content import normalized_feature_distance
from .metrics import _prepare, _windowed_power

#: After-activation EfficientNet-Lite0 taps at strides 2, 4, 8, 16 and 32 (one per resolution).
DISTANCE_TAPS = ("stem", "b2.expand", "b4.expand", "b10.expand", "b15.expand")
#: The grid score's default period in HR pixels: the sub-pixel grid of a x4 generator (its harmonics include 2).
GRID_PERIOD = 4
#: Fewest grid periods an image side must hold for the peaks to stand apart from their rings.
MIN_PERIODS = 16


@lru_cache(maxsize=1)
def _distance_network():
    from ..losses.efficientnet import EfficientNetLite0

    return EfficientNetLite0(DISTANCE_TAPS)


@torch.no_grad()
def feature_distance(sr: Tensor, hr: Tensor, *, shave: int = 0) -> Tensor:
    """Uncalibrated LPIPS-style distance between images (N, 3, H, W) in [0, 1]; one value per image.

    Not LPIPS: no learned per-channel weights, and a different network (EfficientNet-Lite0, whose
    weights install offline, instead of AlexNet/VGG). Compare values with each other, not with
    published LPIPS numbers.
    """
    if sr.shape != hr.shape or sr.dim() != 4 or sr.shape[1] != 3:
        raise ConfigError(f"feature_distance expects two (N, 3, H, W) tensors of the same shape, got {tuple(sr.shape)} and {tuple(hr.shape)}")
    if shave:
        sr, hr = sr[..., shave:-shave, shave:-shave], hr[..., shave:-shave, shave:-shave]
    net = _distance_network().to(sr.device)
    a, b = net(unit_to_signed(sr.float())), net(unit_to_signed(hr.float()))
    return normalized_feature_distance({t: m.double() for t, m in a.items()}, {t: m.double() for t, m in b.items()},
                                       DISTANCE_TAPS)


def _grid_peaks(h: int, w: int, period: int) -> list[tuple[int, int]]:
    """DFT bins of the frequencies (k/period, l/period) cycles/px, k, l in 0..period-1, except the zero frequency."""
    return [(round(k * h / period) % h, round(l * w / period) % w)
            for k in range(period) for l in range(period) if (k, l) != (0, 0)]


def _grid_energy(power: Tensor, period: int) -> Tensor:
    """Sum over the grid frequencies of (power in the 3x3 bins at the peak) / (median of the ring around it)."""
    n, h, w = power.shape
    total = torch.zeros(n, dtype=power.dtype, device=power.device)
    offsets = [(dy, dx) for dy in range(-5, 6) for dx in range(-5, 6)]
    for py, px in _grid_peaks(h, w, period):
        peak = [(py + dy) % h * w + (px + dx) % w for dy, dx in offsets if max(abs(dy), abs(dx)) <= 1]
        ring = [(py + dy) % h * w + (px + dx) % w for dy, dx in offsets if max(abs(dy), abs(dx)) >= 3]
        flat = power.reshape(n, -1)
        total += flat[:, peak].mean(1) / flat[:, ring].median(1).values.clamp_min(1e-12)
    return total


def grid_score(sr: Tensor, hr: Tensor, *, scale: int = GRID_PERIOD, shave: int = 0, full_range: bool = False) -> Tensor:
    """Grid energy of SR over that of HR, per image: 1 = no more ``scale``-pixel-periodic pattern than the truth.

    For each frequency (k/scale, l/scale) cycles per pixel (the harmonics of a ``scale``-pixel grid; at
    x4, (2/4, .) are the 2-pixel periods), the Hann-windowed power of Y at that bin and its 8 neighbours
    is divided by the median power of a ring 3-5 bins away: a periodic pattern is a spike above its
    surroundings, natural texture is smooth across them. The ``scale**2 - 1`` ratios are summed for SR
    and for HR. A lattice whose period shares no factor with ``scale`` has no energy at these
    frequencies and does not count.

    Args:
        sr, hr: float (N, 3, H, W) in [0, 1] (quantised to uint8 levels as in :func:`srgan_lite.evaluation.metrics.psnr`).
        scale: the SR factor, the period of the generator's sub-pixel grid in HR pixels (default 4).
        shave: pixels removed from each border first.
        full_range: see :func:`srgan_lite.evaluation.metrics.psnr` (single-channel images).
    """
    if not isinstance(scale, int) or scale < 2:
        raise ConfigError(f"grid_score: scale={scale!r} must be an integer SR factor of at least 2")
    a, b = _prepare(sr, hr, shave, True, full_range)
    if min(a.shape[-2:]) < MIN_PERIODS * scale:
        raise ConfigError(f"grid_score at x{scale} needs images of at least {MIN_PERIODS * scale} px a side "
                          f"(after shaving), got {tuple(a.shape[-2:])}")
    (power_sr, _), (power_hr, _) = _windowed_power(a), _windowed_power(b)
    return _grid_energy(power_sr, scale) / _grid_energy(power_hr, scale)
