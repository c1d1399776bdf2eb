"""Training pairs cut and degraded on the device: the loader's exact crop stream, without DataLoader workers.

The paper trains on random 96x96 HR crops and their bicubic x4 LR (Ledig et al. 2017, Sec. 3.2).
:class:`srgan_lite.data.crops.HRCropDataset` makes them on the CPU, one crop at a time; a GPU step is far
faster than that. :class:`DeviceCropStream` yields *the same* pairs, bit for bit, for the same
(seed, sample position), so a run can switch pipelines and still resume exactly:

* the HR images are decoded once, mod-cropped, replicate-padded by m = ``degrade_margin(scale)`` pixels
  (16 at x2, x4 and x8, 18 at x3: a multiple of the scale) on every side and held as one flat ``uint8``
  tensor on the device (under a ``max_bytes`` cap). Degrading a replicate-padded image and cutting the
  centre equals MATLAB's replicate border handling (``tests/test_pipeline.py`` checks this), so every
  training window is a fixed-size (p + 2m) x (p + 2m) slice, wherever the crop lies;
* per position, the random draws are the loader's: a CPU generator seeded as
  :class:`srgan_lite.data.sampling.PositionStream` seeds torch, then top, left and the dihedral flags drawn as
  ``HRCropDataset.__getitem__`` draws them (on the CPU: about 10 microseconds);
* the windows of a batch are gathered with one ``take``, degraded with two batched float64 matrix
  products (the fixed :func:`srgan_lite.data.imresize.weight_matrix` rows of the LR centre; rounded
  half-up to uint8 after each pass, height first, as ``imresize_uint8`` does), and flipped by
  gathering. At x2, x4 and x8 the weights are dyadic fractions (multiples of 2^-12 at x4), so every
  float64 sum is exact and the result does not depend on the summation order of the device's BLAS. At
  x3 they are multiples of 1/81, so every exact sum of integers is a multiple of 1/81, never within
  1/162 of a rounding tie: float64 error (~1e-13) cannot change a rounded value there either.

How the trainer uses it (``data.pipeline = "device"``), in place of its DataLoader::

    from srgan_lite.data.device_crops import DeviceCropStream

    # in Trainer.__init__ (srgan_lite.training.setup.device_stream), after
    # self.dataset = PositionStream(HRCropDataset(...), run.seed):
    self.stream = DeviceCropStream.from_dataset(self.dataset.base, seed=run.seed, device=self.device)

    # in Trainer.batches():
    yield from self.stream.batches(self.step, self.config.run.steps, data.batch_size, self.info,
                                   memory_format=self.memory_format)

Each item is ``(lr_image, hr_image)``: float32 (n, 3, p/s, p/s) in [0, 1] and (n, 3, p, p) in
[-1, 1] on the device, n = batch_size / world_size (rank r gets :class:`StepSampler`'s slice, so DDP
ranks draw disjoint positions). Resuming at step k is ``batches(k, ...)``. Nothing in it waits for the
device: the draws of the next batch overlap the current step. A :class:`ConfigError` says when the
images do not fit (``data.pipeline=loader`` then).
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import Tensor

from ..errors import ConfigError
from .crops import HRCropDataset, ImagesSpec, degrade_margin
from .imresize import modcrop, weight_matrix
from .io import image_size
from .sampling import PositionStream

if TYPE_CHECKING:  # only for annotations: data/ imports nothing from the layers above it
    from ..training import distributed as ddp

#: Fraction of the device's free memory that the images may take when ``max_bytes`` is not given.
DEFAULT_MEMORY_FRACTION = 0.5


class _CropDraws:
    """The random draws of ``PositionStream(HRCropDataset(...), seed)[position]``, without the image.

    The same seed per position and the same calls in the same order (top, left, then the flags) as
    ``PositionStream.__getitem__`` and ``HRCropDataset.__getitem__``, on a private generator: equal
    values (the CPU generator is the same Mersenne Twister), at ~10 us instead of the ~250 us of
    ``torch.manual_seed``, which on CUDA builds also queues a reseed of every GPU.
    """

    def __init__(self, positions: PositionStream, sizes: list[tuple[int, int]], patch_size: int, scale: int, augment: bool) -> None:
        self.positions, self.sizes, self.patch_size, self.scale, self.augment = positions, sizes, patch_size, scale, augment
        self.generator = torch.Generator()

    def __call__(self, position: int) -> tuple[int, int, int, int, int, int]:
        stream = self.positions  # a PositionStream: its per-epoch permutation and its seed
        epoch, offset = divmod(position, len(stream))
        image = stream._permutation(epoch)[offset] % len(self.sizes)
        g = self.generator.manual_seed((stream.seed * 2_654_435_761 + position) % (2**63))
        (h, w), p, s = self.sizes[image], self.patch_size, self.scale
        top = s * int(torch.randint((h - p) // s + 1, (1,), generator=g))  # data.random_int
        left = s * int(torch.randint((w - p) // s + 1, (1,), generator=g))
        flags = torch.randint(2, (3,), generator=g).tolist() if self.augment else (0, 0, 0)  # data.dihedral_flags
        return (image, top, left, *flags)


def _pad_bytes(height: int, width: int, margin: int) -> int:
    return (height + 2 * margin) * (width + 2 * margin) * 3


def _gib(n: int) -> str:
    return f"{n / 2**30:.2f} GiB"


class DeviceCropStream:
    """The crop stream of ``PositionStream(HRCropDataset(images, ...), seed)``, made on ``device``.

    Args:
        images: what :class:`HRCropDataset` accepts (a folder, image paths, or (name, uint8 array) pairs).
        patch_size, scale, augment, hr_range: as in :class:`HRCropDataset` (the trainer's crop size is
            ``patch_size + shift_jitter`` for SRGAN).
        seed: the run's seed (``run.seed``), as given to :class:`PositionStream`.
        device: where the images live and the pairs are made (CPU or CUDA).
        max_bytes: cap on the padded images' size; None = half of the device's free memory.
    """

    def __init__(self, images: ImagesSpec, *, patch_size: int = 96, scale: int = 4, augment: bool = True,
                 seed: int = 0, device: str | torch.device = "cpu", max_bytes: int | None = None,
                 hr_range: str = "signed") -> None:
        dataset = HRCropDataset(images, patch_size=patch_size, scale=scale, augment=augment, cache=False, hr_range=hr_range)
        self._setup(dataset, seed, torch.device(device), max_bytes)

    @classmethod
    def from_dataset(cls, dataset: HRCropDataset, *, seed: int, device: str | torch.device,
                     max_bytes: int | None = None) -> "DeviceCropStream":
        """The stream of an existing :class:`HRCropDataset` (its images, sizes, length and options)."""
        stream = cls.__new__(cls)
        stream._setup(dataset, seed, torch.device(device), max_bytes)
        return stream

    def _setup(self, dataset: HRCropDataset, seed: int, device: torch.device, max_bytes: int | None) -> None:
        from ..inference import free_memory  # lazy: inference is not needed to import this module

        self.patch_size, self.scale, self.augment = dataset.patch_size, dataset.scale, dataset.augment
        self.hr_range, self.device, self.margin = dataset.hr_range, device, degrade_margin(dataset.scale)
        s, m, p = self.scale, self.margin, self.patch_size
        raw = [(array.shape[0], array.shape[1]) if array is not None else image_size(path)
               for _, path, array in dataset.items]
        sizes = [(h - h % s, w - w % s) for h, w in raw]
        total = sum(_pad_bytes(h, w, m) for h, w in sizes)
        cap = int(DEFAULT_MEMORY_FRACTION * free_memory(device)) if max_bytes is None else int(max_bytes)
        if total > cap:
            raise ConfigError(f"data.pipeline=device: the {len(sizes)} training images take {_gib(total)} on {device} "
                              f"once padded, over the cap of {_gib(cap)} (max_bytes); use data.pipeline=loader "
                              f"(crops cut on the CPU) or fewer or smaller images")
        self.nbytes = total
        self._flat = torch.empty(total, dtype=torch.uint8, device=device)
        table, offset = [], 0
        for index, (h, w) in enumerate(sizes):
            image = modcrop(dataset.image(index), s)
            padded = np.pad(image, ((m, m), (m, m), (0, 0)), mode="edge").transpose(2, 0, 1)  # (3, H + 2m, W + 2m)
            n = padded.size
            self._flat[offset:offset + n].copy_(torch.from_numpy(np.ascontiguousarray(padded)).reshape(-1))
            table.append((offset, w + 2 * m, (h + 2 * m) * (w + 2 * m)))  # base, row stride, channel stride
            offset += n
        self._table = table
        self._draws = _CropDraws(PositionStream(dataset, seed), sizes, p, s, self.augment)

        window, low = p + 2 * m, p // s
        ramp = torch.arange(window, device=device)
        self._window_offsets = (torch.arange(3, device=device).view(1, 3, 1, 1), ramp.view(1, 1, window, 1),
                                ramp.view(1, 1, 1, window))
        rows = weight_matrix(window, window // s, 1.0 / s)[m // s:m // s + low]  # the LR centre's rows only
        self._rows = torch.tensor(rows, dtype=torch.float64, device=device)  # (p/s, window)
        self._cols_t = self._rows.T.contiguous()  # same matrix for the width pass (square windows)

    # ----------------------------------------------------------------------------- one batch
    def draws(self, positions: Iterable[int]) -> list[tuple[int, int, int, int, int, int]]:
        """(image index, top, left, hflip, vflip, transpose) of each position: the loader's draws."""
        return [self._draws(int(position)) for position in positions]

    def batch(self, positions: Iterable[int]) -> tuple[Tensor, Tensor]:
        """``(lr_image, hr_image)`` of these sample positions, stacked: equal to the loader's items."""
        draws = self.draws(positions)
        if not draws:
            raise ConfigError("DeviceCropStream.batch needs at least one position")
        params = torch.tensor([(*self._table[i], top, left, h, v, t) for i, top, left, h, v, t in draws], dtype=torch.int64)
        if self.device.type == "cuda":
            params = params.pin_memory().to(self.device, non_blocking=True)  # no host sync
        else:
            params = params.to(self.device)
        base, row, plane, top, left = (params[:, k].view(-1, 1, 1, 1) for k in range(5))
        channel, y, x = self._window_offsets
        # the window starts at (top, left) in padded coordinates: (top - margin, left - margin) in the image
        windows = self._flat.take(base + channel * plane + (top + y) * row + left + x)  # (n, 3, W, W) uint8
        m, p = self.margin, self.patch_size
        hr = windows[:, :, m:m + p, m:m + p]
        low = _round_uint8(torch.matmul(self._rows, windows.to(torch.float64)))  # height pass: (n, 3, p/s, W)
        low = _round_uint8(torch.matmul(low, self._cols_t))  # width pass: (n, 3, p/s, p/s)
        if self.augment:
            flags = params[:, 5:8]
            hr, low = _dihedral(hr, flags), _dihedral(low, flags)
        lr_image = low.to(torch.float32).div_(255.0)
        hr_image = hr.to(torch.float32).div_(255.0)
        return lr_image, (hr_image * 2.0 - 1.0 if self.hr_range == "signed" else hr_image)

    # ----------------------------------------------------------------------------- the run
    def batches(self, start_step: int, steps: int, batch_size: int, info: ddp.Dist | None = None, *,
                memory_format: torch.memory_format = torch.contiguous_format) -> Iterator[tuple[Tensor, Tensor]]:
        """This rank's batches of steps ``start_step + 1 ... steps``: the positions of :class:`StepSampler`."""
        rank, world_size = (info.rank, info.world_size) if info is not None else (0, 1)
        if batch_size % world_size:
            raise ConfigError(f"data.batch_size={batch_size} must be divisible by the {world_size} processes")
        per_rank = batch_size // world_size
        for step in range(start_step, steps):
            first = step * batch_size + rank * per_rank
            lr_image, hr_image = self.batch(range(first, first + per_rank))
            yield lr_image.contiguous(memory_format=memory_format), hr_image.contiguous(memory_format=memory_format)

    def __repr__(self) -> str:
        return (f"DeviceCropStream({len(self._table)} images, {_gib(self.nbytes)} on {self.device}, "
                f"patch {self.patch_size}, x{self.scale}, augment={self.augment})")


def _round_uint8(x: Tensor) -> Tensor:
    """``imresize_uint8``'s rounding after a pass: half-up, clipped to [0, 255] (still float64)."""
    return x.add_(0.5).floor_().clamp_(0.0, 255.0)


def _dihedral(images: Tensor, flags: Tensor) -> Tensor:
    """Per-sample hflip, vflip, then transpose (``data.augment_dihedral``'s order) of (n, c, k, k) by gathering."""
    n, c, k, _ = images.shape
    ramp = torch.arange(k, device=images.device)
    ys, xs = ramp.view(1, k, 1), ramp.view(1, 1, k)
    hflip, vflip, transpose = (flags[:, j].view(n, 1, 1).bool() for j in range(3))
    rows, cols = torch.where(transpose, xs, ys), torch.where(transpose, ys, xs)  # output (y, x) reads (rows, cols)
    rows, cols = torch.where(vflip, k - 1 - rows, rows), torch.where(hflip, k - 1 - cols, cols)
    index = (rows * k + cols).view(n, 1, k * k).expand(n, c, k * k)
    return images.reshape(n, c, k * k).gather(2, index).view(n, c, k, k)

