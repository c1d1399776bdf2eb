"""The few lines that make one training loop run on one CPU, one GPU, or many GPUs under ``torchrun``.

``torchrun --nproc_per_node=N -m srgan_lite.cli train ...`` sets ``WORLD_SIZE``, ``RANK`` and
``LOCAL_RANK``; we then join a process group (NCCL on GPUs, gloo on CPUs), give each rank its own
slice of every batch, average gradients with DistributedDataParallel, and let rank 0 alone log,
validate and write checkpoints. Two things keep N processes equal to one process on the whole batch:
BatchNorm over the global batch (:class:`SyncBatchNorm2d`, ``run.sync_bn``), and downloads done once,
by rank 0, while the others wait (:func:`main_first`).
"""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import torch
import torch.distributed as dist
from torch import nn

from ..utils import pick_device

T = TypeVar("T")


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


def main_first(info: Dist, work: Callable[[bool], T]) -> T:
    """``work(True)`` on rank 0 first; after a barrier, ``work(False)`` on the other ranks.

    For downloads (``work = lambda download: resolve_dataset(name, download=download)``): rank 0 fetches
    while the others wait, then they find what rank 0 installed without downloading. An error on rank 0
    is raised there after the barrier, so no rank waits forever; the others then fail on their own
    (e.g. "dataset ... is not in ..."), each with a one-line error.
    """
    if not info.enabled:
        return work(True)
    error, result = None, None
    if info.is_main:
        try:
            result = work(True)
        except Exception as exc:  # re-raised below, once the other ranks are released
            error = exc
    barrier(info)
    if error is not None:
        raise error
    return result if info.is_main else work(False)


class _AllReduceSum(torch.autograd.Function):
    """The sum over all processes, differentiable: the gradient of each process's input is the sum of all
    processes' output gradients (the loss is the sum of the processes' losses; DDP then averages)."""

    @staticmethod
    def forward(ctx, tensor: torch.Tensor) -> torch.Tensor:
        total = tensor.clone(memory_format=torch.contiguous_format)
        dist.all_reduce(total)
        return total

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        total = grad.clone(memory_format=torch.contiguous_format)
        dist.all_reduce(total)
        return total


class SyncBatchNorm2d(nn.BatchNorm2d):
    """BatchNorm2d whose training statistics are those of the global batch, summed over all processes.

    With N processes each BatchNorm layer otherwise normalises with the statistics of one process's
    slice (2 crops per GPU of a batch of 16 on 8 GPUs, where the paper's BatchNorm sees 16).
    ``torch.nn.SyncBatchNorm`` does this on GPUs only (it refuses CPU tensors, so gloo cannot run it);
    this one uses differentiable all-reduces, which every backend has, so the test that proves N
    processes equal one runs on a CPU. Statistics are computed in float32. Outside training, or in a
    single process, it is exactly ``BatchNorm2d``.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not (self.training and dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1):
            return super().forward(x)
        dims, values = (0, 2, 3), x.float()
        count = torch.tensor([values.numel() / values.shape[1]], device=x.device)
        dist.all_reduce(count)
        mean = _AllReduceSum.apply(values.sum(dims)) / count
        centred = values - mean[None, :, None, None]
        var = _AllReduceSum.apply(centred.pow(2).sum(dims)) / count  # biased, as BatchNorm normalises with
        if self.track_running_stats and self.running_mean is not None:
            with torch.no_grad():
                self.num_batches_tracked.add_(1)
                momentum = self.momentum if self.momentum is not None else 1.0 / float(self.num_batches_tracked)
                self.running_mean.lerp_(mean, momentum)
                self.running_var.lerp_(var * count / (count - 1), momentum)  # unbiased, as BatchNorm keeps
        out = centred * torch.rsqrt(var + self.eps)[None, :, None, None]
        if self.affine:
            out = out * self.weight[None, :, None, None] + self.bias[None, :, None, None]
        return out.to(x.dtype)


def sync_batchnorm(module: nn.Module) -> nn.Module:
    """``module`` with every ``BatchNorm2d`` inside replaced by a :class:`SyncBatchNorm2d` with the same state."""
    for name, child in module.named_children():
        if type(child) is nn.BatchNorm2d:
            synced = SyncBatchNorm2d(child.num_features, child.eps, child.momentum, child.affine, child.track_running_stats)
            synced.load_state_dict(child.state_dict())
            tensors = list(child.state_dict().values())
            synced.to(tensors[0].device if tensors else "cpu").train(child.training)
            setattr(module, name, synced)
        else:
            sync_batchnorm(child)
    return module


def use_sync_bn(setting: str | bool, info: Dist) -> bool:
    """``run.sync_bn``: ``auto`` = on when more than one process trains."""
    return info.enabled if setting == "auto" else bool(setting)
