"""PSNR and SSIM as the SR literature (and the paper's Table 2) compute them.

Ledig et al. 2017, Sec. 3.1: "calculated on the y-channel of center-cropped, removal of a 4-pixel
wide strip from each border images". In full, the protocol behind the usual numbers is:

* both images quantised to uint8 levels (round half-up), since SR outputs are stored as images;
* Y of BT.601 as MATLAB's ``rgb2ycbcr`` computes it on [0, 1] input: ``16 + 65.481 R + 128.553 G
  + 24.966 B``, kept as a float in [16, 235] (not rounded);
* images stored with a single channel (Set14 ``bridge``) compared on their gray values, i.e. Y
  on the full [0, 255] range (``full_range=True``): MATLAB scripts apply ``rgb2ycbcr`` only to
  3-channel images. Counting ``bridge`` as RGB instead raises its PSNR by 20 log10(255/219) =
  1.32 dB and the Set14 bicubic mean by 0.09 dB (26.09 instead of the literature's 26.00);
* ``shave`` pixels (= the scale) removed from every border;
* data range 255; SSIM as Wang et al. 2004 (``ssim_index.m``): 11x11 Gaussian window, sigma 1.5,
  K1 = 0.01, K2 = 0.03, 'valid' filtering, population (not sample) covariances, mean of the map.
  This equals scikit-image's ``structural_similarity(..., gaussian_weights=True, sigma=1.5,
  use_sample_covariance=False, data_range=255)``.

Every function works on float tensors (N, 3, H, W) in [0, 1], on any device, and returns one value
per image, shape (N,). Computation is in float64.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from ..errors import ConfigError
from ..utils import grey_to_rgb

#: MATLAB rgb2ycbcr's Y row for RGB in [0, 1] -> Y in [16, 235].
Y_COEFFS = (65.481, 128.553, 24.966)
Y_OFFSET = 16.0
DATA_RANGE = 255.0
SSIM_SIGMA, SSIM_RADIUS, SSIM_K1, SSIM_K2 = 1.5, 5, 0.01, 0.03


def rgb_to_y(x: Tensor) -> Tensor:
    """Y of MATLAB's ``rgb2ycbcr`` (BT.601, studio range) for RGB (..., 3, H, W) in [0, 1].

    Returns:
        (..., 1, H, W) float Y in [16, 235] (the [0, 255] scale), not rounded.
    """
    if x.dim() < 3 or x.shape[-3] != 3:
        raise ConfigError(f"rgb_to_y expects (..., 3, H, W), got shape {tuple(x.shape)}")
    r, g, b = x.narrow(-3, 0, 1), x.narrow(-3, 1, 1), x.narrow(-3, 2, 1)
    return Y_COEFFS[0] * r + Y_COEFFS[1] * g + Y_COEFFS[2] * b + Y_OFFSET


def _prepare(sr: Tensor, hr: Tensor, shave: int, y_channel: bool, full_range: bool) -> tuple[Tensor, Tensor]:
    """Quantise to uint8 levels, optionally take Y, shave; returns float64 in [0, 255]."""
    if sr.dim() == 3:
        sr, hr = sr.unsqueeze(0), hr.unsqueeze(0)
    if sr.shape != hr.shape or sr.dim() != 4 or sr.shape[1] != 3:
        raise ConfigError(f"metrics expect two (N, 3, H, W) tensors of the same shape, got {tuple(sr.shape)} and {tuple(hr.shape)}")
    h, w = sr.shape[-2:]
    if shave < 0 or 2 * shave >= min(h, w):
        raise ConfigError(f"cannot shave {shave} px from a {h}x{w} image")
    out = []
    for x in (sr, hr):
        x = x.detach().double().clamp(0.0, 1.0).mul(255.0).add(0.5).floor()  # uint8 levels, half-up
        if y_channel:
            x = rgb_to_y(x / 255.0)
            x = (x - Y_OFFSET) * (255.0 / sum(Y_COEFFS)) if full_range else x
        out.append(x[..., shave : h - shave, shave : w - shave] if shave else x)
    return out[0], out[1]


def psnr(sr: Tensor, hr: Tensor, *, shave: int = 0, y_channel: bool = True, full_range: bool = False) -> Tensor:
    """Peak signal-to-noise ratio in dB per image, ``10 log10(255^2 / MSE)`` (inf for identical images).

    Args:
        sr, hr: float (N, 3, H, W) in [0, 1].
        shave: pixels removed from each border (the paper: 4, the scale).
        y_channel: on Y (the paper) or on all RGB channels (the MSE over channels).
        full_range: Y stretched to [0, 255] (``0.299 R + 0.587 G + 0.114 B``). For R = G = B this
            is the gray value itself: the protocol for images stored with one channel (Set14
            ``bridge``), which MATLAB evaluation scripts compare without ``rgb2ycbcr``.
    """
    a, b = _prepare(sr, hr, shave, y_channel, full_range)
    mse = (a - b).pow(2).flatten(1).mean(dim=1)
    return 10.0 * torch.log10(DATA_RANGE**2 / mse)


def gaussian_window(device: torch.device | None = None) -> Tensor:
    """The 1-D 11-tap Gaussian (sigma 1.5), normalised to sum 1; its outer product is MATLAB's
    ``fspecial('gaussian', 11, 1.5)``, so filtering with it along H then W is the 2-D window."""
    t = torch.arange(-SSIM_RADIUS, SSIM_RADIUS + 1, dtype=torch.float64, device=device)
    g = torch.exp(-(t**2) / (2 * SSIM_SIGMA**2))
    return g / g.sum()


def _ssim_maps(a: Tensor, b: Tensor) -> Tensor:
    """Mean SSIM per (image, channel) of float64 (N, C, H, W) in [0, 255], 'valid' window positions."""
    n, c, h, w = a.shape
    if min(h, w) < 2 * SSIM_RADIUS + 1:
        raise ConfigError(f"SSIM needs images of at least 11x11 after shaving, got {h}x{w}")
    g = gaussian_window(a.device)
    k = 5 * c
    stats = torch.cat([a, b, a * a, b * b, a * b], dim=1)  # (N, 5C, H, W)
    mu = F.conv2d(stats, g.view(1, 1, 1, -1).expand(k, 1, 1, -1), groups=k)  # separable: W then H
    mu = F.conv2d(mu, g.view(1, 1, -1, 1).expand(k, 1, -1, 1), groups=k)
    ma, mb, saa, sbb, sab = mu.split(c, dim=1)
    va, vb, cov = saa - ma * ma, sbb - mb * mb, sab - ma * mb
    c1, c2 = (SSIM_K1 * DATA_RANGE) ** 2, (SSIM_K2 * DATA_RANGE) ** 2
    s = ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2))
    return s.flatten(2).mean(dim=2)  # (N, C)


def ssim(sr: Tensor, hr: Tensor, *, shave: int = 0, y_channel: bool = True, full_range: bool = False) -> Tensor:
    """Structural similarity (Wang et al. 2004) per image; on RGB it is the mean over the three channels.

    Args:
        sr, hr: float (N, 3, H, W) in [0, 1].
        shave: pixels removed from each border before filtering (the paper: 4).
        y_channel: on Y (the paper) or per RGB channel, averaged (skimage's ``channel_axis``).
        full_range: see :func:`psnr`.
    """
    a, b = _prepare(sr, hr, shave, y_channel, full_range)
    return _ssim_maps(a, b).mean(dim=1)


def psnr_ssim(
    sr: Tensor, hr: Tensor, *, shave: int = 0, y_channel: bool = True, full_range: bool = False
) -> tuple[Tensor, Tensor]:
    """(:func:`psnr`, :func:`ssim`) from one quantisation and colour conversion (what evaluation uses)."""
    a, b = _prepare(sr, hr, shave, y_channel, full_range)
    mse = (a - b).pow(2).flatten(1).mean(dim=1)
    return 10.0 * torch.log10(DATA_RANGE**2 / mse), _ssim_maps(a, b).mean(dim=1)


def _image_tensor(image: np.ndarray) -> Tensor:
    if image.dtype != np.uint8 or image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] != 3):
        raise ConfigError(f"expected a uint8 image (H, W, 3) or (H, W), got {image.dtype} {image.shape}")
    image = grey_to_rgb(image)
    return torch.tensor(image, dtype=torch.float64).permute(2, 0, 1).unsqueeze(0) / 255.0


def _gray(sr: np.ndarray, hr: np.ndarray) -> bool:
    return sr.ndim == 2 and hr.ndim == 2


def psnr_image(sr: np.ndarray, hr: np.ndarray, shave: int = 4, y_channel: bool = True) -> float:
    """:func:`psnr` of two uint8 images (H, W, 3). Two grayscale (H, W) images are compared on their
    gray values (``full_range``), as MATLAB scripts do with single-channel files."""
    a, b = _image_tensor(sr), _image_tensor(hr)
    return float(psnr(a, b, shave=shave, y_channel=y_channel, full_range=_gray(sr, hr))[0])


def ssim_image(sr: np.ndarray, hr: np.ndarray, shave: int = 4, y_channel: bool = True) -> float:
    """:func:`ssim` of two uint8 images (H, W, 3); grayscale pairs as in :func:`psnr_image`."""
    a, b = _image_tensor(sr), _image_tensor(hr)
    return float(ssim(a, b, shave=shave, y_channel=y_channel, full_range=_gray(sr, hr))[0])


def _windowed_power(y: Tensor) -> tuple[Tensor, Tensor]:
    """Power spectrum of float64 (N, 1, H, W) after removing each image's mean and applying a 2-D Hann
    window (so the jump between opposite borders, which the DFT treats as neighbours, adds no energy).

    Returns:
        (power (N, H, W), radial spatial frequency (H, W) in cycles per pixel: 0.5 is the Nyquist
        frequency along an axis, the corners reach 0.5 sqrt(2)).
    """
    h, w = y.shape[-2:]
    y = y[:, 0] - y[:, 0].mean(dim=(-2, -1), keepdim=True)
    window = torch.outer(torch.hann_window(h, periodic=False, dtype=y.dtype, device=y.device),
                         torch.hann_window(w, periodic=False, dtype=y.dtype, device=y.device))
    power = torch.fft.fft2(y * window).abs().pow(2)
    fy = torch.fft.fftfreq(h, dtype=y.dtype, device=y.device).view(-1, 1)
    fx = torch.fft.fftfreq(w, dtype=y.dtype, device=y.device).view(1, -1)
    return power, torch.sqrt(fy**2 + fx**2)


def spectral_energy_ratio(
    sr: Tensor, hr: Tensor, *, scale: int = 4, cutoff: float | None = None, shave: int = 0, full_range: bool = False
) -> Tensor:
    """High-frequency energy of SR relative to HR: a no-reference-style *texture* statistic, per image.

    ``E(x) = sum of |DFT(Y)|^2 over spatial frequencies >= cutoff`` (Y of BT.601 as in :func:`psnr`, each
    image's mean removed and a 2-D Hann window applied), and the result is ``E(sr) / E(hr)``:

    * **1** -- SR has as much fine-scale energy as the original: textures are *as strong* as in HR
      (not necessarily the *same* textures: the phase, i.e. where the detail is, is ignored);
    * **< 1** -- too smooth: the regression-to-the-mean blur of MSE training (Ledig et al. 2017, Sec. 1);
    * **> 1** -- more high-frequency energy than HR: noise, ringing, over-sharpening or GAN artefacts.

    The band starts by default at ``cutoff = 0.5 / scale`` cycles per HR pixel (0.125 at x4), the LR
    image's Nyquist frequency: it is what the LR image cannot contain (bicubic downscaling band-limits
    it), the detail an SR method has to invent.

    It is a *proxy* for the perceptual axis of Blau & Michaeli (CVPR 2018), who measure perception by how
    far the distribution of outputs is from that of natural images; matching HR's spectral energy is one
    necessary symptom of that, computable offline without learned weights. It is not a mean opinion score,
    nor LPIPS, NIQE or Ma's score, and it can be fooled (added white noise raises it), so read it next to
    a distortion measure such as :func:`psnr`, never alone.

    Args:
        sr, hr: float (N, 3, H, W) in [0, 1], quantised to uint8 levels first as in :func:`psnr`.
        scale: the SR factor, which puts the band's lower edge at the LR Nyquist frequency ``0.5 / scale``.
        cutoff: that edge in cycles per pixel instead (0 < cutoff < 0.5 sqrt(2); 0.5 = Nyquist); overrides ``scale``.
        shave: pixels removed from each border first.
        full_range: see :func:`psnr` (single-channel images).

    Returns:
        (N,) float64 ratios.

    Raises:
        ConfigError: a bad scale or cutoff, or an HR image with no energy in the band (e.g. a constant image).
    """
    if cutoff is None:
        if not scale >= 1:
            raise ConfigError(f"spectral_energy_ratio: scale={scale} must be an SR factor of at least 1")
        cutoff = 0.5 / scale
    if not 0.0 < cutoff < 0.5 * 2**0.5:
        raise ConfigError(f"cutoff={cutoff} must be a spatial frequency in cycles per pixel, in (0, 0.707)")
    a, b = _prepare(sr, hr, shave, True, full_range)
    (power_sr, radius), (power_hr, _) = _windowed_power(a), _windowed_power(b)
    band = radius >= cutoff
    energy_sr, energy_hr = power_sr[:, band].sum(dim=1), power_hr[:, band].sum(dim=1)
    if bool((energy_hr <= 1e-6).any()):  # in (uint8 levels)^2: any real texture has far more
        raise ConfigError(f"an HR image has no energy above {cutoff} cycles/pixel (a flat image?); the ratio is undefined")
    return energy_sr / energy_hr


def radial_power_spectrum(
    x: Tensor, *, bins: int = 48, shave: int = 0, full_range: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Radially averaged power spectrum of the Y channel (same preprocessing as :func:`spectral_energy_ratio`).

    Args:
        x: float (N, 3, H, W) in [0, 1].
        bins: equal-width bins of radial spatial frequency between 0 and the Nyquist frequency.

    Returns:
        (centres (bins,), mean power (N, bins)) as NumPy arrays; frequencies in cycles per pixel
        (0 ... 0.5, the units of :func:`srgan_lite.viz.plot_spectra`).
    """
    y, _ = _prepare(x, x, shave, True, full_range)
    power, radius = _windowed_power(y)
    edges = torch.linspace(0.0, 0.5, bins + 1, dtype=radius.dtype, device=radius.device)
    index = torch.bucketize(radius.flatten(), edges[1:-1], right=True)  # bin of every frequency
    inside = radius.flatten() <= 0.5
    flat = power.flatten(1)[:, inside]
    index = index[inside]
    totals = torch.zeros(power.shape[0], bins, dtype=power.dtype, device=power.device).index_add_(1, index, flat)
    counts = torch.bincount(index, minlength=bins).to(power.dtype).clamp_min(1)
    centres = (edges[:-1] + edges[1:]) / 2
    return centres.cpu().numpy(), (totals / counts).cpu().numpy()
