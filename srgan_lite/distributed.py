"""The few lines that make one training loop run on one CPU, one GPU, or many GPUs under ``torchrun``.

``torchrun --nproc_per_node=N -m srgan_lite.cli train ...`` sets ``WORLD_SIZE``, ``RANK`` and
``LOCAL_RANK``; we then join a process group (NCCL on GPUs, gloo on CPUs), give each rank its own
slice of every batch, average gradients with DistributedDataParallel, and let rank 0 alone log,
validate and write checkpoints.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn

from .utils import pick_device


@dataclass(frozen=True)
class Dist:
    """This process's place in the job."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1


def init_distributed(device_spec: str) -> tuple[Dist, torch.device]:
    """Join the process group when launched by torchrun; a no-op for a single process."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size == 1:
        return Dist(), pick_device(device_spec)
    rank, local_rank = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    device = pick_device(device_spec, local_rank)
    if not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group(backend=backend)
    return Dist(rank, world_size, local_rank), device


def wrap(model: nn.Module, info: Dist, device: torch.device) -> nn.Module:
    """DistributedDataParallel around a model when running distributed; the model itself otherwise."""
    if not info.enabled:
        return model
    from torch.nn.parallel import DistributedDataParallel

    ids = [device.index] if device.type == "cuda" else None
    return DistributedDataParallel(model, device_ids=ids)


def unwrap(model: nn.Module) -> nn.Module:
    """The plain module inside DDP and/or ``torch.compile``."""
    model = getattr(model, "module", model)
    return getattr(model, "_orig_mod", model)


def barrier(info: Dist) -> None:
    if info.enabled:
        dist.barrier()


def all_reduce_mean(value: torch.Tensor, info: Dist) -> torch.Tensor:
    """Average a (detached) tensor over ranks, for logging losses of the whole batch."""
    if info.enabled:
        value = value.clone()
        dist.all_reduce(value)
        value /= info.world_size
    return value


def cleanup(info: Dist) -> None:
    if info.enabled and dist.is_initialized():
        dist.destroy_process_group()
