"""Images in, training pairs out (Ledig et al. 2017, Sec. 3.2).

The paper trains on 96x96 HR crops ("16 random 96x96 HR sub images of distinct training images" per
mini-batch) whose LR counterparts come from bicubic downsampling by r = 4. Here the LR crop is exactly
what the benchmark degradation (:func:`srgan_lite.data.imresize.bicubic_degrade`) of the *whole* image
gives there, at every scale: the crop is degraded with a :func:`degrade_margin` around it (more than the
kernel's reach, and a multiple of the scale so the window starts on the LR grid) and the LR centre cut
out. Degrading the bare crop would change its outer ring of LR pixels. Image files of any mode are read
as RGB ``uint8`` (H, W, 3) by :mod:`srgan_lite.data.io` (``read_image``, ``list_images``).
"""
from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import Tensor
from torch.utils.data import Dataset

from ..errors import ConfigError, DatasetError, ImageReadError
from ..utils import grey_to_rgb
from .convert import unit_to_signed
from .imresize import bicubic_degrade, modcrop
from .io import IMAGE_SUFFIXES, image_size, list_images, read_image

#: Fewest HR pixels degraded around each training crop (the margin at x2, x4 and x8).
MIN_DEGRADE_MARGIN = 16
#: Decoded size below which ``HRCropDataset(cache=None)`` keeps every image in RAM.
AUTO_CACHE_BYTES = 1 << 30
ImagesSpec = str | os.PathLike | Sequence[str | os.PathLike] | Sequence[tuple[str, np.ndarray]]


def _entries(images: ImagesSpec) -> list[tuple[str, Path | None, np.ndarray | None]]:
    """Normalise a folder / list of paths / list of (name, array) into (name, path, array) triples."""
    if isinstance(images, (str, os.PathLike)):
        folder, images = images, list_images(images)
        if not images:
            raise DatasetError(f"no images ({', '.join(IMAGE_SUFFIXES)}) found in {folder}")
    out: list[tuple[str, Path | None, np.ndarray | None]] = []
    for item in images:
        if isinstance(item, tuple):
            name, array = item
            array = np.asarray(array)
            if array.dtype != np.uint8 or array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] != 3):
                raise ConfigError(f"image {name!r}: expected uint8 (H, W, 3) or (H, W), got {array.dtype} {array.shape}")
            out.append((str(name), None, array))
        else:
            out.append((Path(item).stem, Path(item), None))
    return out


def random_int(high: int) -> int:
    """Uniform integer in [0, high) from torch's RNG (seeded per DataLoader worker)."""
    return int(torch.randint(high, (1,)))


def dihedral_flags() -> tuple[int, int, int]:
    """Random (hflip, vflip, transpose) bits from torch's RNG: one of the 8 rotations/flips."""
    hflip, vflip, transpose = torch.randint(2, (3,)).tolist()
    return hflip, vflip, transpose


def augment_dihedral(image: np.ndarray, flags: tuple[int, int, int] | None = None) -> np.ndarray:
    """Apply a horizontal flip, vertical flip and transpose (random flags from torch's RNG by default)."""
    hflip, vflip, transpose = dihedral_flags() if flags is None else flags
    if hflip:
        image = image[:, ::-1]
    if vflip:
        image = image[::-1]
    if transpose:
        image = image.transpose(1, 0, 2)
    return np.ascontiguousarray(image)


class HRCropDataset(Dataset):
    """Random HR crops and their bicubic LR (the paper's training pairs).

    Args:
        images: a folder (searched recursively), a list of image paths, or a list of (name, uint8 array).
        patch_size: HR crop side (paper: 96); a multiple of ``scale``.
        scale: downscaling factor r (paper: 4).
        augment: random flips and 90-degree rotations (not in the paper; standard since EDSR).
        cache: keep decoded images in RAM; None = only when they total under 1 GiB.
        skip_unreadable: skip (and count in ``self.skipped``) files that cannot be read instead of raising.
        length: virtual epoch length (image ``i % n`` at index ``i``); default one crop per image.
        hr_range: ``"signed"`` gives HR in [-1, 1] (the paper, Sec. 3.2), ``"unit"`` in [0, 1].

    Returns per item ``(lr, hr)``: float (3, p/r, p/r) in [0, 1] and (3, p, p). Crops sit at
    multiples of ``scale``. All randomness comes from torch's RNG, so ``torch.manual_seed`` and the
    DataLoader's per-worker seeding make runs reproducible.
    """

    def __init__(
        self,
        images: ImagesSpec,
        *,
        patch_size: int = 96,
        scale: int = 4,
        augment: bool = True,
        cache: bool | None = None,
        skip_unreadable: bool = False,
        length: int | None = None,
        hr_range: str = "signed",
    ) -> None:
        if scale < 1 or patch_size < scale or patch_size % scale:
            raise ConfigError(f"patch_size={patch_size} must be a positive multiple of scale={scale}")
        if hr_range not in ("signed", "unit"):
            raise ConfigError(f"hr_range={hr_range!r} is unknown: use 'signed' ([-1, 1]) or 'unit' ([0, 1])")
        self.patch_size, self.scale, self.augment, self.hr_range = patch_size, scale, augment, hr_range
        self.skipped: list[str] = []
        entries, small = [], []
        for name, path, array in _entries(images):
            try:
                h, w = array.shape[:2] if array is not None else image_size(path)
            except ImageReadError:
                if not skip_unreadable:
                    raise
                self.skipped.append(str(path))
                continue
            if h < patch_size or w < patch_size:
                small.append(str(path or name))
            else:
                entries.append((name, path, array, h * w * 3))
        if small:
            shown = ", ".join(small[:5]) + (f" and {len(small) - 5} more" if len(small) > 5 else "")
            warnings.warn(f"skipped {len(small)} image(s) smaller than patch_size={patch_size}: {shown}", stacklevel=2)
        self.cached = sum(e[3] for e in entries) < AUTO_CACHE_BYTES if cache is None else cache
        self.items: list[tuple[str, Path | None, np.ndarray | None]] = []
        for name, path, array, _ in entries:
            if array is None and self.cached:
                try:
                    array = read_image(path)
                except ImageReadError:
                    if not skip_unreadable:
                        raise
                    self.skipped.append(str(path))
                    continue
            self.items.append((name, path, None if array is None else grey_to_rgb(array)))
        if not self.items:
            raise DatasetError(f"no usable training images (need at least {patch_size}x{patch_size} px)")
        self.length = len(self.items) if length is None else int(length)
        if self.length < 1:
            raise ConfigError(f"length={length} must be positive")

    def __len__(self) -> int:
        return self.length

    def image(self, index: int) -> np.ndarray:
        """The full RGB uint8 image behind item ``index``."""
        _, path, array = self.items[index % len(self.items)]
        return array if array is not None else read_image(path)

    def __getitem__(self, index: int) -> tuple[Tensor, Tensor]:
        if not 0 <= index < self.length:
            raise IndexError(f"index {index} out of range for {self.length} items")
        image, p, s = modcrop(self.image(index), self.scale), self.patch_size, self.scale
        top, left = s * random_int((image.shape[0] - p) // s + 1), s * random_int((image.shape[1] - p) // s + 1)
        hr_crop, lr_crop = degraded_crop(image, top, left, p, s)
        if self.augment:
            flags = dihedral_flags()
            hr_crop, lr_crop = augment_dihedral(hr_crop, flags), augment_dihedral(lr_crop, flags)
        lr = torch.from_numpy(np.ascontiguousarray(lr_crop)).permute(2, 0, 1).float().div_(255.0)
        hr = torch.from_numpy(np.ascontiguousarray(hr_crop)).permute(2, 0, 1).float().div_(255.0)
        return lr, unit_to_signed(hr) if self.hr_range == "signed" else hr


def degrade_margin(scale: int) -> int:
    """HR pixels degraded around a training crop: 16 at x2, x4 and x8, 18 at x3 (16 was a third of an LR pixel off).

    The smallest multiple of ``scale`` (the window then starts on the LR grid) that is at least
    :data:`MIN_DEGRADE_MARGIN` and ``2 * scale``, the antialiased kernel's half-width (the LR centre never
    sees the window's edge).
    """
    if scale < 1:
        raise ConfigError(f"scale={scale} must be a positive integer")
    return -(-max(MIN_DEGRADE_MARGIN, 2 * scale) // scale) * scale


def degraded_crop(image: np.ndarray, top: int, left: int, size: int, scale: int,
                  margin: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The HR crop at (top, left) and its LR: ``bicubic_degrade(image, scale)`` cut at (top/scale, left/scale).

    Only the crop plus ``margin`` pixels (default :func:`degrade_margin`) is degraded. The window is
    clipped at the borders of the mod-cropped image, where the benchmark's replicate border handling
    then applies to the window as it does to the whole image, so the LR is exact there too.

    Args:
        image: uint8 (H, W[, C]); mod-cropped to ``scale`` here, as :func:`bicubic_degrade` does.
        top, left, size: the HR crop, multiples of ``scale``, inside the mod-cropped image.
        scale: the downscaling factor.
        margin: HR pixels degraded around the crop: a multiple of ``scale``, at least ``2 * scale``.
    """
    margin = degrade_margin(scale) if margin is None else margin
    image = modcrop(image, scale)
    h, w = image.shape[:2]
    if top % scale or left % scale or size % scale or size < scale or margin % scale or margin < 2 * scale:
        raise ConfigError(f"degraded_crop: top={top}, left={left}, size={size} and margin={margin} must be "
                          f"multiples of scale={scale} (size and margin positive, margin >= {2 * scale})")
    if top < 0 or left < 0 or top + size > h or left + size > w:
        raise ConfigError(f"degraded_crop: the {size} px crop at ({top}, {left}) is not inside the {h}x{w} image")
    t0, l0 = max(top - margin, 0), max(left - margin, 0)
    window = image[t0 : min(top + size + margin, h), l0 : min(left + size + margin, w)]
    lr_window = bicubic_degrade(np.ascontiguousarray(window), scale)
    lt, ll, n = (top - t0) // scale, (left - l0) // scale, size // scale
    return image[top : top + size, left : left + size], lr_window[lt : lt + n, ll : ll + n]


class PairedDataset(Dataset):
    """LR and HR images matched by file stem, e.g. ``Set5/LR_bicubic/X4`` with ``Set5/HR``.

    Args:
        lr_folder, hr_folder: the two folders; every stem must be in both.
        scale: if given, check that ``LR size * scale == modcrop(HR, scale) size``.

    Returns per item ``(name, lr, hr)`` as RGB uint8 arrays.
    """

    def __init__(self, lr_folder: str | os.PathLike, hr_folder: str | os.PathLike, *, scale: int | None = None) -> None:
        lr = {p.stem: p for p in list_images(lr_folder, recursive=False)}
        hr = {p.stem: p for p in list_images(hr_folder, recursive=False)}
        unmatched = sorted(set(lr) ^ set(hr))
        if unmatched:
            raise DatasetError(f"{len(unmatched)} file(s) of {lr_folder} and {hr_folder} have no partner, e.g. {unmatched[0]!r}")
        if not hr:
            raise DatasetError(f"no images found in {hr_folder}")
        self.names = sorted(hr)
        self.lr, self.hr, self.scale = lr, hr, scale

    def __len__(self) -> int:
        return len(self.names)

    def __getitem__(self, index: int) -> tuple[str, np.ndarray, np.ndarray]:
        name = self.names[index]
        lr, hr = read_image(self.lr[name]), read_image(self.hr[name])
        if self.scale and modcrop(hr, self.scale).shape[:2] != (lr.shape[0] * self.scale, lr.shape[1] * self.scale):
            raise DatasetError(f"{self.lr[name]} ({lr.shape[1]}x{lr.shape[0]}) is not x{self.scale} smaller than {self.hr[name]}")
        return name, lr, hr


class EvalImages(Sequence):
    """The HR images of an evaluation set as (name, uint8 array), read lazily one at a time.

    Args:
        spec: a folder, a list of paths, or a list of (name, array).
        keep_gray: single-channel files come back as (H, W) arrays (the metrics treat them as gray).
    """

    def __init__(self, spec: ImagesSpec, *, keep_gray: bool = False) -> None:
        self.entries = _entries(spec)
        self.keep_gray = keep_gray

    def __len__(self) -> int:
        return len(self.entries)

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        name, path, array = self.entries[index]
        if array is None:
            array = read_image(path, keep_gray=self.keep_gray)
        return name, array if self.keep_gray else grey_to_rgb(array)


def load_eval_images(spec: ImagesSpec, *, keep_gray: bool = False) -> list[tuple[str, np.ndarray]]:
    """All images of :class:`EvalImages` as a list of (name, raw HR uint8); the protocol mod-crops later."""
    return list(EvalImages(spec, keep_gray=keep_gray))


def _starts(length: int, size: int, stride: int) -> list[int]:
    if length <= size:
        return [0]
    starts = list(range(0, length - size + 1, stride))
    return starts if starts[-1] == length - size else starts + [length - size]


def extract_subimages(src_folder: str | os.PathLike, dst_folder: str | os.PathLike, size: int = 480, stride: int = 240) -> int:
    """Cut every image of ``src_folder`` into overlapping ``size`` x ``size`` PNG crops (the last row and
    column of crops are flush with the border), so loading a 96x96 patch no longer decodes a 2K image.

    Returns:
        The number of crops written to ``dst_folder`` (``<stem>_s001.png``, ...).
    """
    if size < 1 or stride < 1:
        raise ConfigError(f"size={size} and stride={stride} must be positive")
    src, dst = Path(src_folder), Path(dst_folder)
    dst.mkdir(parents=True, exist_ok=True)
    count = 0
    for path in list_images(src):
        image = read_image(path)
        stem = "_".join(path.relative_to(src).with_suffix("").parts)
        h, w = image.shape[:2]
        k = 0
        for top in _starts(h, size, stride):
            for left in _starts(w, size, stride):
                k += 1
                target = dst / f"{stem}_s{k:03d}.png"
                tmp = target.with_name(f".{target.name}.tmp")
                Image.fromarray(image[top : top + size, left : left + size]).save(tmp, format="PNG", compress_level=1)
                os.replace(tmp, target)
                count += 1
    return count
