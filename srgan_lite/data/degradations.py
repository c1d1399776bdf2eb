"""Real-ESRGAN's degradations (Wang et al., ICCV Workshops 2021, Sec. 3.1), one "first-order" pass.

Real-ESRGAN trains on synthetic *realistic* degradations (blur, resize, noise, JPEG, applied twice) instead
of bicubic downsampling alone; :func:`degrade_realistic` is one pass with every parameter explicit.
"""
from __future__ import annotations

import io
import math

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from ..errors import ConfigError
from .imresize import imresize, modcrop


def gaussian_kernel(sigma: float, size: int | None = None) -> np.ndarray:
    """An isotropic 2-D Gaussian kernel (float64, sums to 1); ``size`` defaults to 2*ceil(3 sigma)+1."""
    if sigma <= 0:
        raise ConfigError(f"blur sigma={sigma} must be positive")
    size = size or 2 * math.ceil(3 * sigma) + 1
    t = np.arange(size, dtype=np.float64) - (size - 1) / 2
    g = np.exp(-0.5 * (t / sigma) ** 2)
    kernel = np.outer(g, g)
    return kernel / kernel.sum()


def degrade_realistic(
    hr: np.ndarray,
    scale: int = 4,
    *,
    blur_sigma: float = 1.2,
    noise_sigma: float = 5.0,
    jpeg_quality: int | None = 60,
    seed: int = 0,
) -> np.ndarray:
    """A first-order Real-ESRGAN-style degradation of an HR uint8 image: blur, downscale, noise, JPEG.

    1. Gaussian blur with ``blur_sigma`` (HR pixels; reflected borders); 0 skips it;
    2. MATLAB-style bicubic downscaling by ``scale`` (:func:`srgan_lite.data.imresize.imresize`, no rounding);
    3. additive Gaussian colour noise with standard deviation ``noise_sigma`` (in 0-255 units,
       drawn from ``np.random.default_rng(seed)``), then rounding to uint8; 0 skips the noise;
    4. JPEG compression at ``jpeg_quality`` (PIL, 1-100); None skips it.

    Real-ESRGAN (Wang et al. 2021, Sec. 3.1) draws the kernel, resize mode, noise and quality at
    random and applies the chain twice ("second order"); here every parameter is explicit and
    the result is a deterministic function of its arguments.

    Args:
        hr: RGB (H, W, 3) or grey (H, W) uint8 image; mod-cropped to ``scale`` first.

    Returns:
        The LR image, uint8, (H // scale, W // scale[, 3]).
    """
    if hr.dtype != np.uint8 or hr.ndim not in (2, 3):
        raise ConfigError(f"degrade_realistic expects a uint8 (H, W) or (H, W, C) image, got {hr.dtype} {hr.shape}")
    if scale < 1 or blur_sigma < 0 or noise_sigma < 0:
        raise ConfigError(f"scale={scale}, blur_sigma={blur_sigma}, noise_sigma={noise_sigma}: need scale >= 1, sigmas >= 0")
    if jpeg_quality is not None and not 1 <= jpeg_quality <= 100:
        raise ConfigError(f"jpeg_quality={jpeg_quality} must be in 1..100 (or None for no JPEG)")
    hr = modcrop(hr, scale)
    x = torch.from_numpy(np.ascontiguousarray(hr, dtype=np.float64))
    x = (x.permute(2, 0, 1) if hr.ndim == 3 else x[None])[None]  # (1, C, H, W)
    if blur_sigma > 0:
        kernel = torch.from_numpy(gaussian_kernel(blur_sigma))
        pad = kernel.shape[-1] // 2
        if min(x.shape[-2:]) <= pad:
            raise ConfigError(f"image of shape {hr.shape} is too small for blur_sigma={blur_sigma}")
        weight = kernel.expand(x.shape[1], 1, *kernel.shape).contiguous()
        x = F.conv2d(F.pad(x, (pad, pad, pad, pad), mode="reflect"), weight, groups=x.shape[1])
    if scale > 1:
        x = imresize(x, 1.0 / scale)
    x = x[0].permute(1, 2, 0).numpy() if hr.ndim == 3 else x[0, 0].numpy()
    if noise_sigma > 0:
        x = x + np.random.default_rng(seed).normal(0.0, noise_sigma, x.shape)
    lr = np.clip(np.floor(x + 0.5), 0, 255).astype(np.uint8)
    if jpeg_quality is not None:
        buffer = io.BytesIO()
        Image.fromarray(lr).save(buffer, format="JPEG", quality=int(jpeg_quality))
        lr = np.array(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB" if hr.ndim == 3 else "L"))
    return lr
