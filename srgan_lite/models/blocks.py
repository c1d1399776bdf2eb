"""The building blocks of the paper's Fig. 4: the residual block and the sub-pixel upsampler.

References:
    Ledig et al., "Photo-Realistic Single Image Super-Resolution Using a Generative Adversarial
    Network", CVPR 2017 (SRGAN), Fig. 4.
    Shi et al., "Real-Time Single Image and Video Super-Resolution Using an Efficient Sub-Pixel
    Convolutional Neural Network", CVPR 2016 (ESPCN).
    Aitken et al., "Checkerboard artifact free sub-pixel convolution", arXiv:1707.02937, 2017 (ICNR).
"""
from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class ResidualBlock(nn.Module):
    """conv3x3 - BN - PReLU - conv3x3 - BN, plus an identity skip (the paper's Fig. 4, "B residual blocks").

    Args:
        channels: feature maps in and out (64 in the paper).
        batch_norm: keep the two BatchNorm layers (the paper does; EDSR/ESRGAN later removed them).
    """

    def __init__(self, channels: int = 64, *, batch_norm: bool = True) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(channels, channels, 3, padding=1, bias=True)]
        if batch_norm:
            layers.append(nn.BatchNorm2d(channels))
        layers.append(nn.PReLU())
        layers.append(nn.Conv2d(channels, channels, 3, padding=1, bias=True))
        if batch_norm:
            layers.append(nn.BatchNorm2d(channels))
        self.body = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


def icnr_(weight: Tensor, upscale: int, init=nn.init.kaiming_normal_) -> Tensor:
    """ICNR initialisation (Aitken et al. 2017), in place.

    A sub-pixel convolution producing ``C * r**2`` channels is followed by ``PixelShuffle(r)``, which
    sends channels ``c*r**2 ... c*r**2 + r**2 - 1`` to the r x r positions of output channel ``c``.
    Giving those ``r**2`` channels the same kernel makes the initial output equal to a
    nearest-neighbour upsampling of a normal convolution: no checkerboard at step 0.

    Args:
        weight: conv weight of shape (C * r**2, C_in, k, k).
        upscale: the shuffle factor r.
        init: initialiser applied to the shared (C, C_in, k, k) kernel.
    """
    out_channels = weight.shape[0]
    if out_channels % (upscale**2):
        raise ValueError(f"ICNR needs out_channels divisible by {upscale**2}, got {out_channels}")
    base = torch.empty(out_channels // upscale**2, *weight.shape[1:], dtype=weight.dtype, device=weight.device)
    init(base)
    with torch.no_grad():
        weight.copy_(base.repeat_interleave(upscale**2, dim=0))
    return weight


class SubPixelUpsampler(nn.Module):
    """One x``upscale`` stage: conv3x3 (C -> C*r^2), PixelShuffle(r), PReLU (Shi et al. 2016).

    The paper uses two of these with r = 2 ("two trained sub-pixel convolution layers") and
    C = 64, i.e. conv 64 -> 256.

    Args:
        channels: feature maps in and out.
        upscale: the factor r of this stage.
        icnr: initialise with ICNR so the initial output has no checkerboard pattern.
    """

    def __init__(self, channels: int = 64, upscale: int = 2, *, icnr: bool = True) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, channels * upscale**2, 3, padding=1)
        self.shuffle = nn.PixelShuffle(upscale)
        self.act = nn.PReLU()
        if icnr:
            icnr_(self.conv.weight, upscale)
            nn.init.zeros_(self.conv.bias)

    def forward(self, x: Tensor) -> Tensor:
        return self.act(self.shuffle(self.conv(x)))


class ResizeConvUpsampler(nn.Module):
    """One x``upscale`` stage as resize-convolution: nearest-neighbour x r, conv3x3 (C -> C), PReLU (Odena et al.
    2016). Not in the paper (``model.upsampler=resize``; ESRGAN's choice).

    A sub-pixel convolution computes each of the r^2 output phases with its own kernel, so any difference between
    those kernels prints an r-pixel lattice on the output; here one kernel slides over the upsampled map, and every
    output pixel is computed the same way: the layer cannot make a lattice of period r by itself.

    Args:
        channels: feature maps in and out.
        upscale: the factor r of this stage.
    """

    def __init__(self, channels: int = 64, upscale: int = 2) -> None:
        super().__init__()
        self.upscale = upscale
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)
        self.act = nn.PReLU()

    def forward(self, x: Tensor) -> Tensor:
        return self.act(self.conv(F.interpolate(x, scale_factor=self.upscale, mode="nearest")))


@torch.no_grad()
def batchnorm_modes(model: nn.Module, lr: Tensor) -> tuple[Tensor, Tensor]:
    """A BN network's output on ``lr`` with BatchNorm's running statistics and with ``lr``'s own.

    Returns ``(running, batch)``: eval mode (the statistics accumulated in training, as at test
    time) and train mode (mean and variance of this batch, as in a training step). Their difference
    is the train/test discrepancy ESRGAN blames for BN artifacts. The model is left unchanged
    (train mode would update the running statistics; they are restored).
    """
    state = copy.deepcopy(model.state_dict())
    was_training = model.training
    try:
        running = model.eval()(lr)
        batch = model.train()(lr)
    finally:
        model.load_state_dict(state)
        model.train(was_training)
    return running, batch
