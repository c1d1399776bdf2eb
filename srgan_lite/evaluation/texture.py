"""Two spectral measures that separate an MSE-trained SRResNet from an SRGAN: top-octave energy, lattice excess.

Both read the power spectrum of Y (BT.601 as MATLAB's ``rgb2ycbcr``, uint8 levels, ``scale`` px shaved, each
image's mean removed, 2-D Hann window: :func:`srgan_lite.evaluation.metrics._windowed_power`) and compare SR
with HR, so 1 (or 0 for the logarithm) means "as in the ground truth":

* :func:`top_octave_energy` -- how much of HR's finest detail SR has. Above 0.25 cycles/px (half the HR
  Nyquist frequency) bicubic x4 leaves the spectrum nearly empty: the LR image holds nothing above
  0.125, and the cubic kernel's replicas of its spectrum are weak there. An MSE-trained network
  regresses to the mean of the plausible textures there too (Ledig et al. 2017, Sec. 1); an adversarial
  loss puts energy back (Sec. 2.2). Beside it, the band from the LR Nyquist frequency ``0.5/scale`` to
  0.25, where a smooth but sharp-edged output can already score well.
* :func:`lattice_excess` -- periodic patterns at the period of the upsampler (the sub-pixel convolution's
  ``scale``-pixel grid, Shi et al. 2016; checkerboards, Odena et al. 2016; Aitken et al. 2017), which a
  generator prints on flat regions and which no average of natural textures contains.

Neither is a mean opinion score: both can be fooled (white noise raises the top-octave energy), so they are
read beside PSNR and NIQE (:mod:`srgan_lite.evaluation.niqe`), never alone.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor

from ..errors import ConfigError
from .metrics import _prepare, _windowed_power
from .perceptual import MIN_PERIODS

#: Lower edge of the top octave, cycles per HR pixel: half the Nyquist frequency 0.5.
TOP_OCTAVE = 0.25
#: Half-widths, in DFT bins, of the window summed at a lattice peak and of the ring of neighbours around it
#: (Chebyshev distance). The Hann window spreads a sinusoid over +-2 bins, so the ring starts at 3.
PEAK_RADIUS, RING_RADII = 1, (3, 5)


def band_energy_ratios(
    sr: Tensor, hr: Tensor, edges: Sequence[float], *, shave: int = 0, full_range: bool = False
) -> Tensor:
    """Windowed power of Y in radial bands ``[edges[i], edges[i+1])`` cycles/px, SR over HR, per image.

    Args:
        sr, hr: float (N, 3, H, W) in [0, 1], quantised to uint8 levels as in
            :func:`srgan_lite.evaluation.metrics.psnr`.
        edges: increasing band edges; ``math.inf`` closes the last band at the corners (0.5 sqrt(2)).
        shave: pixels removed from each border first.
        full_range: single-channel images compared on their gray values (see
            :func:`~srgan_lite.evaluation.metrics.psnr`).

    Returns:
        (N, len(edges) - 1) float64; NaN for a band that holds no DFT bin.

    Raises:
        ConfigError: an HR image with no energy in a non-empty band (a flat image).
    """
    if len(edges) < 2 or any(lo >= hi for lo, hi in zip(edges, edges[1:])):
        raise ConfigError(f"band edges must increase, got {list(edges)}")
    a, b = _prepare(sr, hr, shave, True, full_range)
    (power_sr, radius), (power_hr, _) = _windowed_power(a), _windowed_power(b)
    ratios = []
    for lo, hi in zip(edges, edges[1:]):
        band = (radius >= lo) & (radius < hi)
        if not bool(band.any()):
            ratios.append(torch.full((a.shape[0],), math.nan, dtype=a.dtype, device=a.device))
            continue
        energy_hr = power_hr[:, band].sum(dim=1)
        if bool((energy_hr <= 1e-6).any()):  # in (uint8 levels)^2: any real texture has far more
            raise ConfigError(f"an HR image has no energy between {lo} and {hi} cycles/pixel (a flat image?)")
        ratios.append(power_sr[:, band].sum(dim=1) / energy_hr)
    return torch.stack(ratios, dim=1)


def top_octave_energy(sr: Tensor, hr: Tensor, *, scale: int = 4, full_range: bool = False) -> tuple[Tensor, Tensor]:
    """Energy above 0.25 cycles/px, and from the LR Nyquist frequency to 0.25, SR over HR, per image.

    ``E_band(x) = sum over DFT bins with radial frequency in the band of |DFT(w * (Y - mean Y))|^2`` (w: 2-D
    Hann window, Y after shaving ``scale`` px), and each value is ``E_band(sr) / E_band(hr)``: 1 = as much
    detail as HR there (not the same detail: phase is ignored), < 1 too smooth, > 1 noise, ringing or
    over-sharpening. HR scores exactly 1. Average per-image values over a set.

    Returns:
        (top octave ``[0.25, corners]``, band ``[0.5/scale, 0.25)``), each (N,) float64; the second is NaN
        for ``scale <= 2``, where the LR Nyquist frequency is already 0.25.
    """
    if scale < 1:
        raise ConfigError(f"scale must be a positive integer, got {scale}")
    ratios = band_energy_ratios(sr, hr, (0.5 / scale, TOP_OCTAVE, math.inf) if scale > 2 else (TOP_OCTAVE, math.inf),
                                shave=scale, full_range=full_range)
    below = ratios[:, 0] if scale > 2 else torch.full_like(ratios[:, 0], math.nan)
    return ratios[:, -1], below


def top_octave_share(images: Tensor, *, scale: int = 4, full_range: bool = False) -> Tensor:
    """Fraction of an image's power above 0.25 cycles/px, per image: how much finest-scale detail an original holds.

    The same windowed spectrum as :func:`top_octave_energy` (Y, ``scale`` px shaved, mean removed, 2-D Hann
    window), of one image instead of a ratio of two: ``E_top(x) / E_all(x)``. White noise scores the band's share
    of the frequency square, 1 - pi / 16 ~ 0.80; a smooth image ~0. It is what makes a fraction of HR's
    top-octave energy mean different things on different sets: the sharper the originals, the more of that
    power a model has to invent, so the same model reaches a smaller fraction of it.

    Args:
        images: float (N, 3, H, W) in [0, 1].

    Returns:
        (N,) float64.
    """
    y, _ = _prepare(images, images, scale, True, full_range)
    power, radius = _windowed_power(y)
    return power[:, radius >= TOP_OCTAVE].sum(dim=1) / power.sum(dim=(1, 2))


def lattice_frequencies(scale: int) -> list[tuple[int, int]]:
    """The distinct lattice frequencies ``(k/scale, l/scale)`` cycles/px as (k, l), k, l in 0..scale-1.

    All harmonics of a ``scale``-pixel period on both axes and the diagonals, so also the ``scale/2``-pixel
    period when it is whole (k or l = scale/2). (0, 0) is left out, and of (k, l) and (-k, -l), the same
    frequency of a real image, one is kept: 9 for x4 ((u, v) in {0, 1/4, 1/2} x {0, +-1/4, 1/2}), 4 for x3.
    """
    if scale < 2:
        raise ConfigError(f"a lattice needs a period of at least 2 px, got scale {scale}")
    return [(k, l) for k in range(scale) for l in range(scale)
            if (k, l) != (0, 0) and (k, l) <= ((-k) % scale, (-l) % scale)]


def _lattice_contrast(power: Tensor, scale: int) -> Tensor:
    """Per image and lattice frequency: mean power in the (2 PEAK_RADIUS + 1)^2 bins at the peak over the median
    power of the ring of bins at Chebyshev distance RING_RADII from it. (N, H, W) -> (N, P)."""
    n, h, w = power.shape
    peaks = torch.tensor([(round(k * h / scale), round(l * w / scale)) for k, l in lattice_frequencies(scale)],
                         device=power.device)
    d = torch.arange(-RING_RADII[1], RING_RADII[1] + 1, device=power.device)
    dy, dx = (v.flatten() for v in torch.meshgrid(d, d, indexing="ij"))
    chebyshev = torch.maximum(dy.abs(), dx.abs())
    index = ((peaks[:, :1] + dy) % h) * w + (peaks[:, 1:] + dx) % w  # (P, 121) flat bin indices
    flat = power.reshape(n, -1)
    peak = flat[:, index[:, chebyshev <= PEAK_RADIUS]].mean(-1)
    ring = flat[:, index[:, chebyshev >= RING_RADII[0]]].median(-1).values
    return peak / ring.clamp_min(1e-12)


def lattice_excess(sr: Tensor, hr: Tensor, *, scale: int = 4, full_range: bool = False) -> Tensor:
    """How much more ``scale``-pixel-periodic pattern SR has than HR, log10, per image: 0 = as in HR.

    Definition. On the Hann-windowed power spectrum ``P`` of Y (``scale`` px shaved, uint8 levels), for each
    lattice frequency ``f = (k/scale, l/scale)`` of :func:`lattice_frequencies` (for x4: periods 4 and 2 px,
    along both axes and the diagonals), the *contrast* ``c_f = mean(P in the 3x3 bins at f) / median(P on
    the ring of bins 3 to 5 away from f)``. A periodic pattern is a spike above its spectral neighbours;
    natural texture, noise and blur are smooth across them (``c_f ~ 1`` whatever their strength). Then::

        lattice_excess = mean over f of log10(c_f(sr) / c_f(hr))

    i.e. log10 of the geometric mean over the lattice frequencies of SR's contrast over HR's: each
    frequency counts once, and none dominates (a JPEG grid in HR at one frequency does not swamp the rest).
    Measuring each image against its own ring makes it independent of how much texture SR has: a blurred,
    sharpened or noisy copy of HR scores ~0 (|.| < 0.1 on baboon), and so do smooth outputs, whose rings
    are only the uint8 rounding floor: bicubic x4 scores +0.07 on Set14 (SRResNet +0.81). Bicubic still
    reaches +0.46 on pepper, for two reasons: its output's uint8 rounding repeats with the interpolation's
    4-px phase on smooth gradients (unrounded bicubic has dips, not spikes, at these frequencies), and
    some HR images have dips there themselves (resampled originals), which any spike-free output exceeds.

    Args:
        sr, hr: float (N, 3, H, W) in [0, 1].
        scale: the lattice period in px (the upscaling factor); also the border shaved.
        full_range: single-channel images compared on their gray values.

    Returns:
        (N,) float64.

    Raises:
        ConfigError: sides shorter than ``MIN_PERIODS`` (16) periods after shaving (the ring would reach the next peak).
    """
    lattice_frequencies(scale)  # refuses scale < 2 before any work
    a, b = _prepare(sr, hr, scale, True, full_range)
    if min(a.shape[-2:]) < MIN_PERIODS * scale:
        raise ConfigError(f"lattice_excess at x{scale} needs sides of at least {MIN_PERIODS * scale} px "
                          f"after shaving, got {tuple(a.shape[-2:])}")
    c_sr, c_hr = _lattice_contrast(_windowed_power(a)[0], scale), _lattice_contrast(_windowed_power(b)[0], scale)
    return torch.log10(c_sr / c_hr).mean(dim=1)
