"""Reading image files: any mode to RGB ``uint8`` (H, W, 3), sizes from headers, image files in a folder."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image

from ..errors import DatasetError, ImageReadError
from ..utils import grey_to_rgb

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")


def _high_bit_depth_to_uint8(a: np.ndarray, mode: str) -> np.ndarray:
    a = a.astype(np.float64)
    if mode.startswith("I;16") or (mode == "I" and a.max(initial=0) > 255):
        a = a / 257.0  # 16-bit: 65535 -> 255
    elif mode == "F" and a.max(initial=0) <= 1.0:
        a = a * 255.0  # float images in [0, 1]
    return np.clip(np.floor(a + 0.5), 0, 255).astype(np.uint8)


def _decode(im: Image.Image, keep_gray: bool) -> np.ndarray:
    if im.mode == "P" or im.mode == "PA":
        im = im.convert("RGBA" if "transparency" in im.info or im.mode == "PA" else "RGB")
    mode = im.mode
    if mode in ("I", "F") or mode.startswith("I;16"):
        gray = _high_bit_depth_to_uint8(np.asarray(im), mode)
    elif mode in ("1", "L"):
        gray = np.array(im.convert("L"))
    elif mode in ("LA", "La", "RGBA", "RGBa"):  # composite onto white, as a viewer shows it
        rgba = np.asarray(im.convert("RGBA")).astype(np.float64)
        alpha = rgba[..., 3:] / 255.0
        rgb = np.floor(rgba[..., :3] * alpha + 255.0 * (1.0 - alpha) + 0.5).astype(np.uint8)
        return rgb[..., 0].copy() if keep_gray and mode in ("LA", "La") else rgb
    else:  # RGB, CMYK, YCbCr, LAB, HSV, ...
        return np.array(im.convert("RGB"))
    return gray if keep_gray else grey_to_rgb(gray)


def read_image(path: str | os.PathLike, *, keep_gray: bool = False) -> np.ndarray:
    """Read any image file as RGB ``uint8`` (H, W, 3).

    16-bit and 32-bit images are scaled to 8 bits (65535 -> 255, rounded), float images in [0, 1]
    are stretched to [0, 255], alpha is composited onto white, palettes are expanded, only the
    first frame of multi-frame files is read. EXIF orientation is ignored (as MATLAB's ``imread``).

    Args:
        path: the image file.
        keep_gray: return single-channel images (L, 1, I;16, ...) as (H, W) instead of RGB.

    Raises:
        ImageReadError: the file is missing, not an image, truncated or otherwise undecodable.
    """
    path = Path(path)
    if not path.is_file():
        raise ImageReadError(f"cannot read image {path}: no such file")
    try:
        with Image.open(path) as im:
            im.load()
            return _decode(im, keep_gray)
    except Exception as exc:  # PIL raises OSError, ValueError, SyntaxError, DecompressionBombError...
        raise ImageReadError(f"cannot read image {path}: {_reason(exc)}") from None


def _reason(exc: Exception) -> str:
    return str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__


def image_size(path: str | os.PathLike) -> tuple[int, int]:
    """(height, width) from the file header, without decoding; :class:`ImageReadError` if unreadable."""
    try:
        with Image.open(path) as im:
            return im.height, im.width
    except Exception as exc:
        raise ImageReadError(f"cannot read image {path}: {_reason(exc)}") from None


def list_images(folder: str | os.PathLike, *, recursive: bool = True) -> list[Path]:
    """Image files under ``folder`` (png, jpg, jpeg, bmp, tif, tiff, webp; any case), sorted by relative path.

    Args:
        recursive: also look in sub-folders (hidden files and folders are skipped).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(f"image folder {folder} does not exist")
    found = folder.rglob("*") if recursive else folder.iterdir()
    files = [
        p for p in found
        if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    ]
    return sorted(files, key=lambda p: p.relative_to(folder).as_posix())
