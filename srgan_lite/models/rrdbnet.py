"""ESRGAN's generator (Wang et al., ECCV Workshops 2018, Sec. 3.1): residual-in-residual dense blocks, no BatchNorm.

The residual-in-residual dense block (RRDB) with residual scaling 0.2 replaces SRResNet's residual block;
upsampling is nearest-neighbour interpolation followed by a convolution (resize-convolution, Odena et al. 2016)
instead of the sub-pixel convolution. It trains, saves and loads through the same paths as :class:`SRResNet`
(``model.arch: rrdbnet``; build it with :func:`rrdbnet`).
"""
from __future__ import annotations

import math
import os
from dataclasses import replace
from typing import Any

import torch
from torch import Tensor, nn

from ..errors import ConfigError
from .srresnet import GeneratorConfig

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


#: ESRGAN's generator (Sec. 3.1 and 4.1): x4, 23 RRDBs, 64 channels, growth 32 (about 16.7 M parameters).
ESRGAN_CONFIG = GeneratorConfig(arch="rrdbnet", scale=4, num_blocks=23, channels=64, growth=32)


class RRDBNet(nn.Module):
    """ESRGAN's generator: SRResNet's layout with RRDBs, no BN, and nearest-neighbour + conv upsampling.

    conv3x3 -> ``num_blocks`` RRDBs -> conv3x3, plus the long skip -> per factor 2: nearest x2,
    conv3x3, LeakyReLU (``upsample``) -> conv3x3, LeakyReLU, conv3x3 to 3 channels (``tail``). Same
    interface as :class:`srgan_lite.SRResNet`: a :class:`GeneratorConfig` (``arch="rrdbnet"``) in ``.config``.

    Args:
        config: the architecture (``arch="rrdbnet"``); None: :data:`ESRGAN_CONFIG` with ``overrides``.
        **overrides: :class:`GeneratorConfig` fields replacing ESRGAN's, e.g. ``num_blocks=1, channels=8``:
            ``scale`` (2, 4 or 8: one nearest-neighbour stage per factor 2), ``num_blocks``, ``channels``,
            ``growth``.
    """

    def __init__(self, config: GeneratorConfig | None = None, **overrides: Any) -> None:
        super().__init__()
        if config is not None and overrides:
            raise TypeError(f"RRDBNet takes a config or overrides of ESRGAN's, not both (got {', '.join(overrides)})")
        self.config = config = config or replace(ESRGAN_CONFIG, **overrides)
        if config.arch != "rrdbnet":
            raise ConfigError(f"RRDBNet cannot build model.arch={config.arch!r}: use build_generator(config)")
        c, growth = config.channels, config.growth
        self.head = nn.Conv2d(3, c, 3, padding=1)
        self.body = nn.Sequential(*[RRDB(c, growth) for _ in range(config.num_blocks)])
        self.body_tail = nn.Conv2d(c, c, 3, padding=1)
        self.upsample = nn.Sequential(*[
            nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(c, c, 3, padding=1),
                          nn.LeakyReLU(0.2, inplace=True))
            for _ in range(int(math.log2(config.scale)))
        ])
        self.tail = nn.Sequential(nn.Conv2d(c, c, 3, padding=1), nn.LeakyReLU(0.2, inplace=True),
                                  nn.Conv2d(c, 3, 3, padding=1))

    def forward(self, lr: Tensor) -> Tensor:
        features = self.head(lr)
        features = features + self.body_tail(self.body(features))
        return self.tail(self.upsample(features))

    def receptive_radius(self) -> int:
        """LR pixels on each side that one output pixel depends on: the context a tile needs.

        At LR: head (1) + 15 per RRDB (3 dense blocks, each a path through 5 convs 3x3) + the conv after
        the trunk (1); each upsampling conv3x3 adds 1 pixel at its (doubled) resolution, the two last convs
        2 HR pixels.
        """
        radius, factor = 1 + 15 * self.config.num_blocks + 1, 1
        for _ in self.upsample:
            factor *= 2
            radius += 1 / factor
        return math.ceil(radius + 2 / factor)


def rrdbnet(*, weights: str | os.PathLike | None = None, **overrides: Any) -> RRDBNet:
    """Build ESRGAN's generator (Wang et al., ECCV Workshops 2018): by default x4, 23 RRDBs, 64 channels,
    growth 32, initialised as ESRGAN does (Kaiming x 0.1).

    Args:
        weights: a registered name or a ``.safetensors`` file holding an RRDBNet; returned in eval mode.
        **overrides: :class:`GeneratorConfig` fields replacing ESRGAN's (``scale``, ``num_blocks``,
            ``channels``, ``growth``); with ``weights`` they may only repeat the weights' own values.

    Raises:
        WeightsError: unknown weights, weights of another architecture, or overrides that contradict them.
    """
    if weights is not None:
        from .pretrained import pretrained_generator

        return pretrained_generator("rrdbnet", weights, overrides)
    return RRDBNet(**overrides)
