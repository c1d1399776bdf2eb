"""MATLAB-compatible bicubic resizing: how the paper's LR images were made (Ledig et al. 2017, Sec. 3.1).

The paper obtains LR images "by downsampling HR images using a bicubic kernel with downsampling
factor r = 4"; the benchmark LR files (SelfExSR) come from MATLAB's ``imresize``. That function is
*not* what ``PIL`` or ``torch.nn.functional.interpolate`` compute: it uses Keys' cubic kernel with
a = -0.5, widens the kernel by 1/scale when shrinking (antialiasing), maps output to input
coordinates with ``u = x/scale + 0.5*(1 - 1/scale)``, mirrors indices at the borders, normalises the
weights of every output pixel, resizes one dimension at a time (the smaller scale first, height
first on ties) and, on uint8 input, rounds to uint8 after each pass. This module does exactly that,
with the per-dimension weights precomputed as dense matrices, so a resize is two matrix products on
(..., H, W) tensors (CPU or GPU, batched). :func:`pil_resize` and :func:`torch_resize` are the other
common "bicubics", for comparison in the book.
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import Tensor

from ..errors import ConfigError


def cubic(x: np.ndarray) -> np.ndarray:
    """Keys' cubic convolution kernel with a = -0.5 (MATLAB's ``cubic``), support [-2, 2]."""
    ax = np.abs(x)
    ax2, ax3 = ax * ax, ax * ax * ax
    return (1.5 * ax3 - 2.5 * ax2 + 1.0) * (ax <= 1) + (-0.5 * ax3 + 2.5 * ax2 - 4.0 * ax + 2.0) * ((ax > 1) & (ax <= 2))


BOUNDARIES = ("replicate", "symmetric")


@lru_cache(maxsize=256)
def weight_matrix(
    in_length: int, out_length: int, scale: float, antialias: bool = True, boundary: str = "replicate"
) -> np.ndarray:
    """The (out_length, in_length) float64 matrix of one MATLAB ``imresize`` pass (its ``contributions``).

    Args:
        in_length, out_length: sizes of the resized dimension.
        scale: output/input factor (MATLAB uses the requested scale, not out/in, for the kernel).
        antialias: widen the kernel by 1/scale when ``scale < 1`` (MATLAB's default).
        boundary: ``"replicate"`` clamps out-of-range indices (the MATLAB that made the SelfExSR
            benchmark LR: reproduces Set5/Set14 LR bit-exactly); ``"symmetric"`` mirrors them
            (``aux = [1:n, n:-1:1]`` of later MATLAB releases and most Python ports).
    """
    if boundary not in BOUNDARIES:
        raise ConfigError(f"imresize boundary {boundary!r} is unknown: use one of {BOUNDARIES}")
    kernel_width = 4.0
    kernel = cubic
    if scale < 1 and antialias:
        kernel_width = 4.0 / scale
        kernel = lambda t: scale * cubic(scale * t)  # noqa: E731
    x = np.arange(1, out_length + 1, dtype=np.float64)
    u = x / scale + 0.5 * (1.0 - 1.0 / scale)  # output pixel x (1-based) sits at input coordinate u
    left = np.floor(u - kernel_width / 2.0)
    taps = int(math.ceil(kernel_width)) + 2
    indices = left[:, None] + np.arange(taps)[None, :]  # 1-based, may fall outside [1, in_length]
    weights = kernel(u[:, None] - indices)
    weights /= weights.sum(axis=1, keepdims=True)
    indices = indices.astype(np.int64) - 1  # 0-based
    if boundary == "replicate":
        indices = np.clip(indices, 0, in_length - 1)
    else:
        mirror = np.concatenate([np.arange(in_length), np.arange(in_length)[::-1]])
        indices = mirror[np.mod(indices, 2 * in_length)]
    matrix = np.zeros((out_length, in_length), dtype=np.float64)
    np.add.at(matrix, (np.repeat(np.arange(out_length), taps), indices.ravel()), weights.ravel())
    matrix.setflags(write=False)
    return matrix


def _plan(shape: tuple[int, int], scale: float | None, size: tuple[int, int] | None) -> list[tuple[int, int, float]]:
    """(dim, out_length, scale) for the two passes, in MATLAB's order."""
    h, w = shape
    if (scale is None) == (size is None):
        raise ConfigError("imresize needs exactly one of scale or size")
    if size is not None:
        out = (int(size[0]), int(size[1]))
        scales = (out[0] / h, out[1] / w)
    else:
        if scale <= 0:
            raise ConfigError(f"imresize scale must be positive, got {scale}")
        scales = (float(scale), float(scale))
        out = (int(math.ceil(scale * h - 1e-9)), int(math.ceil(scale * w - 1e-9)))
    if min(out) < 1:
        raise ConfigError(f"imresize of a {h}x{w} image by {scale or size} gives an empty image")
    order = sorted(range(2), key=lambda d: scales[d])  # stable: height first on ties
    return [(d, out[d], scales[d]) for d in order]


@lru_cache(maxsize=256)
def _matrix(n_in: int, n_out: int, s: float, aa: bool, boundary: str, device: torch.device, dtype: torch.dtype) -> Tensor:
    return torch.tensor(weight_matrix(n_in, n_out, s, aa, boundary), device=device, dtype=dtype)


def _resize(x: Tensor, scale: float | None, size: tuple[int, int] | None, antialias: bool, boundary: str) -> Tensor:
    if x.dim() < 2:
        raise ConfigError(f"imresize expects a (..., H, W) tensor, got shape {tuple(x.shape)}")
    for dim, out_length, s in _plan(tuple(x.shape[-2:]), scale, size):
        in_length = x.shape[dim - 2]
        if out_length == in_length and s == 1.0:
            continue
        m = _matrix(in_length, out_length, s, antialias, boundary, x.device, x.dtype)
        x = torch.matmul(m, x) if dim == 0 else torch.matmul(x, m.T)
    return x


def imresize(
    x: Tensor,
    scale: float | None = None,
    *,
    size: tuple[int, int] | None = None,
    antialias: bool = True,
    boundary: str = "replicate",
) -> Tensor:
    """MATLAB ``imresize(x, scale, 'bicubic')`` of a float tensor (..., H, W), without rounding.

    Args:
        x: float tensor (..., H, W), any value range, CPU or GPU; batched over leading dims.
        scale: factor (output size is ``ceil(scale * size)``, as in MATLAB), or
        size: the output (H, W) instead.
        antialias: widen the kernel when downscaling (MATLAB's default ``'Antialiasing', true``).
        boundary: ``"replicate"`` (default) or ``"symmetric"``, see :func:`weight_matrix`.
    """
    if not x.is_floating_point():
        raise ConfigError(f"imresize expects a float tensor, got {x.dtype} (use imresize_uint8 for uint8 arrays)")
    return _resize(x, scale, size, antialias, boundary)


def imresize_uint8(
    image: np.ndarray, scale: float, *, antialias: bool = True, boundary: str = "replicate"
) -> np.ndarray:
    """MATLAB ``imresize`` of a uint8 image (H, W) or (H, W, C): float64 passes, each rounded half-up to uint8.

    Runs in NumPy (tiny crops in a data loader would spend more time in torch's thread pool than computing).
    """
    if image.dtype != np.uint8 or image.ndim not in (2, 3):
        raise ConfigError(f"imresize_uint8 expects a uint8 (H, W) or (H, W, C) array, got {image.dtype} {image.shape}")
    # (C, H, W), contiguous, so that NumPy's matmul hands every channel to BLAS
    x = np.ascontiguousarray(image.transpose(2, 0, 1) if image.ndim == 3 else image, dtype=np.float64)
    for dim, out_length, s in _plan(image.shape[:2], scale, None):
        in_length = x.shape[dim - 2]
        if out_length == in_length and s == 1.0:
            continue
        m = weight_matrix(in_length, out_length, s, antialias, boundary)
        x = np.matmul(m, x) if dim == 0 else np.matmul(x, m.T)
        x = np.clip(np.floor(x + 0.5), 0.0, 255.0)
    out = x.astype(np.uint8)
    return np.ascontiguousarray(out.transpose(1, 2, 0) if image.ndim == 3 else out)


def modcrop(image: np.ndarray, scale: int) -> np.ndarray:
    """Top-left crop so height and width are multiples of ``scale`` (the SR literature's ``modcrop``)."""
    h, w = image.shape[:2]
    return image[: h - h % scale, : w - w % scale]


def bicubic_degrade(hr: np.ndarray, scale: int = 4) -> np.ndarray:
    """The benchmark degradation: ``imresize_uint8(modcrop(hr, scale), 1/scale)`` (bit-exact with SelfExSR LR)."""
    hr = modcrop(hr, scale)
    if hr.shape[0] < scale or hr.shape[1] < scale:
        raise ConfigError(f"image of shape {hr.shape} is too small to downscale by {scale}")
    return imresize_uint8(hr, 1.0 / scale)


def pil_resize(image: np.ndarray | Image.Image, size_or_scale: float | tuple[int, int]) -> np.ndarray:
    """PIL's ``Image.BICUBIC`` resize (a = -0.5, antialiased, but PIL's own borders and fixed-point rounding).

    Args:
        image: uint8 array (H, W[, C]) or a PIL image.
        size_or_scale: a factor, or the output (H, W) (note: (H, W), not PIL's (W, H)).
    """
    pil = image if isinstance(image, Image.Image) else Image.fromarray(np.ascontiguousarray(image))
    if isinstance(size_or_scale, (tuple, list)):
        h, w = int(size_or_scale[0]), int(size_or_scale[1])
    else:
        h, w = math.ceil(pil.height * size_or_scale - 1e-9), math.ceil(pil.width * size_or_scale - 1e-9)
    return np.asarray(pil.resize((w, h), Image.BICUBIC))


def torch_resize(x: Tensor, scale: float, *, antialias: bool = True) -> Tensor:
    """``F.interpolate(mode="bicubic", align_corners=False)``: PyTorch's bicubic (a = -0.75, replicate borders).

    Args:
        x: float tensor (N, C, H, W) or (C, H, W).
        scale: factor; antialias only has an effect when downscaling.
    """
    squeeze = x.dim() == 3
    x = x.unsqueeze(0) if squeeze else x
    out = F.interpolate(x, scale_factor=scale, mode="bicubic", align_corners=False, antialias=antialias)
    return out[0] if squeeze else out
