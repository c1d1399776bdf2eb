"""The training data stream: sample number ``position`` is a pure function of (seed, position).

This is what makes an interrupted run resume exactly (Ledig et al. 2017, Sec. 3.2: "16 random 96x96 HR sub
images of distinct training images" per mini-batch), whatever the number of worker processes or ranks.
Both the DataLoader path (:mod:`srgan_lite.training.loop`) and the device path (:mod:`srgan_lite.data.device_crops`) read it.
"""
from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Iterator

import torch
from torch.utils.data import Dataset, Sampler

if TYPE_CHECKING:  # only for annotations: data/ imports nothing from the layers above it
    from ..training import distributed as ddp


class PositionStream(Dataset):
    """Sample number ``position`` of an endless, shuffled stream of random crops.

    Which image (a per-epoch permutation) and which crop/flip (a generator seeded by the position)
    depend only on (seed, position), not on worker processes or restarts.
    """

    def __init__(self, base: Dataset, seed: int) -> None:
        self.base, self.seed = base, seed

    def __len__(self) -> int:
        return len(self.base)

    @lru_cache(maxsize=4)
    def _permutation(self, epoch: int) -> list[int]:
        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
        return torch.randperm(len(self.base), generator=generator).tolist()

    def __getitem__(self, position: int):
        epoch, offset = divmod(position, len(self.base))
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed((self.seed * 2_654_435_761 + position) % (2**63))
            return self.base[self._permutation(epoch)[offset]]


class StepSampler(Sampler[int]):
    """Positions for steps ``start_step+1 ... steps``; rank r takes its slice of each global batch."""

    def __init__(self, start_step: int, steps: int, batch_size: int, info: ddp.Dist) -> None:
        self.start_step, self.steps, self.batch_size, self.info = start_step, steps, batch_size, info

    def __len__(self) -> int:
        return (self.steps - self.start_step) * self.batch_size // self.info.world_size

    def __iter__(self) -> Iterator[int]:
        per_rank = self.batch_size // self.info.world_size
        for step in range(self.start_step, self.steps):
            first = step * self.batch_size + self.info.rank * per_rank
            yield from range(first, first + per_rank)
