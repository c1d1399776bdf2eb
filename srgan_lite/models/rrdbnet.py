"""ESRGAN's generator (Wang et al., ECCV Workshops 2018, Sec. 3.1): residual-in-residual dense blocks, no BatchNorm.

The residual-in-residual dense block (RRDB) with residual scaling 0.2 replaces SRResNet's residual block;
upsampling is nearest-neighbour interpolation followed by a convolution (resize-convolution, Odena et al. 2016)
instead of the sub-pixel convolution. It trains, saves and loads through the same paths as :class:`SRResNet`
(``model.arch: rrdbnet``).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..errors import ConfigError

#: ESRGAN's residual scaling: every residual branch is multiplied by 0.2 before it is added (Sec. 3.1).
RESIDUAL_SCALE = 0.2


def _scaled_kaiming_(module: nn.Module, scale: float) -> None:
    """ESRGAN's "smaller initialisation": Kaiming-normal weights times ``scale`` (0.1), zero biases."""
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight)
            m.weight.data.mul_(scale)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


class ResidualDenseBlock(nn.Module):
    """Five 3x3 convolutions with dense connections, no BN (ESRGAN Fig. 4, right; after RDN).

    Conv ``k`` sees the block input concatenated with the outputs of convs 1..k-1 (``growth``
    channels each); convs 1-4 are followed by LeakyReLU(0.2). The fifth maps back to ``channels``
    and is added to the input after multiplication by ``residual_scale``:
    ``out = x + residual_scale * conv5([x, x1, x2, x3, x4])``.

    Args:
        channels: feature maps in and out (64 in ESRGAN).
        growth: channels added by each of convs 1-4 (32 in ESRGAN).
        residual_scale: the residual scaling beta (0.2 in ESRGAN; 1.0 turns it off).
        init_scale: multiply the Kaiming initialisation by this (0.1 in ESRGAN).
    """

    def __init__(self, channels: int = 64, growth: int = 32, *, residual_scale: float = RESIDUAL_SCALE,
                 init_scale: float = 0.1) -> None:
        super().__init__()
        self.convs = nn.ModuleList(
            nn.Conv2d(channels + k * growth, growth if k < 4 else channels, 3, padding=1) for k in range(5)
        )
        self.act = nn.LeakyReLU(0.2, inplace=True)
        self.residual_scale = residual_scale
        _scaled_kaiming_(self, init_scale)

    def forward(self, x: Tensor) -> Tensor:
        features = [x]
        for conv in self.convs[:-1]:
            features.append(self.act(conv(torch.cat(features, dim=1))))
        return x + self.residual_scale * self.convs[-1](torch.cat(features, dim=1))


class RRDB(nn.Module):
    """Residual-in-residual dense block: three :class:`ResidualDenseBlock` s inside one more scaled residual.

    ``out = x + residual_scale * RDB3(RDB2(RDB1(x)))`` (ESRGAN Fig. 4). It replaces SRGAN's
    conv-BN-PReLU-conv-BN residual block; ESRGAN stacks 23 of them.
    """

    def __init__(self, channels: int = 64, growth: int = 32, *, residual_scale: float = RESIDUAL_SCALE,
                 init_scale: float = 0.1) -> None:
        super().__init__()
        self.blocks = nn.Sequential(*[ResidualDenseBlock(channels, growth, residual_scale=residual_scale,
                                                         init_scale=init_scale) for _ in range(3)])
        self.residual_scale = residual_scale

    def forward(self, x: Tensor) -> Tensor:
        return x + self.residual_scale * self.blocks(x)


class RRDBNet(nn.Module):
    """ESRGAN's generator: SRResNet's layout with RRDBs, no BN, and nearest-neighbour + conv upsampling.

    conv3x3 -> ``num_blocks`` RRDBs -> conv3x3, plus the long skip -> per factor 2: nearest x2,
    conv3x3, LeakyReLU -> conv3x3, LeakyReLU -> conv3x3 (3 channels). ESRGAN: 23 blocks, 64
    channels, growth 32 (about 16.7 M parameters). Same interface as :class:`srgan_lite.SRResNet`.

    Args:
        scale: 2, 4 or 8 (powers of two: one nearest-neighbour stage per factor 2).
        num_blocks, channels, growth: the trunk's size.
    """

    def __init__(self, scale: int = 4, num_blocks: int = 23, channels: int = 64, growth: int = 32) -> None:
        super().__init__()
        if scale not in (2, 4, 8):
            raise ConfigError(f"RRDBNet scale={scale} is not supported: use 2, 4 or 8")
        self.scale = scale
        self.head = nn.Conv2d(3, channels, 3, padding=1)
        self.body = nn.Sequential(*[RRDB(channels, growth) for _ in range(num_blocks)])
        self.body_tail = nn.Conv2d(channels, channels, 3, padding=1)
        self.upsample = nn.ModuleList(nn.Conv2d(channels, channels, 3, padding=1) for _ in range(int(math.log2(scale))))
        self.hr_conv = nn.Conv2d(channels, channels, 3, padding=1)
        self.tail = nn.Conv2d(channels, 3, 3, padding=1)
        self.act = nn.LeakyReLU(0.2, inplace=True)

    def forward(self, lr: Tensor) -> Tensor:
        features = self.head(lr)
        features = features + self.body_tail(self.body(features))
        for conv in self.upsample:
            features = self.act(conv(F.interpolate(features, scale_factor=2, mode="nearest")))
        return self.tail(self.act(self.hr_conv(features)))
