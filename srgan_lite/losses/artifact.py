"""LDL's artifact penalty (Liang, Zeng & Zhang, CVPR 2022, "Details or Artifacts"). Not in the SRGAN paper.

A GAN-trained generator makes two kinds of high-frequency output: texture, which varies from step to step
but stays close to HR on average, and artifacts (a mesh or a lattice on smooth areas), whose residual
``|HR - SR|`` has a high *local* variance. LDL weights each pixel of the residual by that local variance
(over ``window`` x ``window`` pixels), times the residual's variance over the whole crop to the power 1/5, and
keeps the weight only where the generator does worse than a stable reference of itself: the exponential moving
average of G's weights (``run.ema_decay``), which averages the flickering texture away and keeps what
is consistent. The loss is the L1 distance between the weighted SR and HR. Computed on images in [0, 1], as
LDL's constants assume (this package's images are in [-1, 1]).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

#: LDL's window for the local variance of the residual (their ``ksize``).
ARTIFACT_WINDOW = 7


def local_variance(x: Tensor, window: int = ARTIFACT_WINDOW) -> Tensor:
    """The unbiased variance of ``x`` (N, 1, H, W) over each ``window`` x ``window`` neighbourhood (reflect-padded)."""
    pad = window // 2
    patches = F.pad(x, (pad, pad, pad, pad), mode="reflect").unfold(2, window, 1).unfold(3, window, 1)
    return patches.var(dim=(-1, -2), unbiased=True)


@torch.no_grad()
def artifact_map(sr: Tensor, hr: Tensor, reference: Tensor, window: int = ARTIFACT_WINDOW) -> Tensor:
    """LDL's refined artifact map M (N, 1, H, W) for images in [-1, 1]; a weight, so no gradient flows through it.

    ``reference``: the EMA generator's output for the same LR crops. M = var_crop(R)^(1/5) * var_local(R) where
    R = sum over channels of |HR - SR| (in [0, 1] units), and 0 wherever SR's residual is below the reference's.
    """
    residual = ((hr - sr).abs() / 2).sum(1, keepdim=True)
    residual_reference = ((hr - reference).abs() / 2).sum(1, keepdim=True)
    weight = residual.var(dim=(1, 2, 3), keepdim=True).pow(0.2) * local_variance(residual, window)
    return weight.masked_fill(residual < residual_reference, 0.0)


def artifact_loss(sr: Tensor, hr: Tensor, reference: Tensor, window: int = ARTIFACT_WINDOW) -> Tensor:
    """L1 between M * SR and M * HR (both mapped to [0, 1]), M = :func:`artifact_map`: LDL's L_artif."""
    weight = artifact_map(sr, hr, reference, window)
    return F.l1_loss(weight * (sr + 1) / 2, weight * (hr + 1) / 2)
