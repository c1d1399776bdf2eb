"""SRResNet, the generator network G of the paper (Ledig et al. 2017, Fig. 4, top).

Value ranges (Sec. 3.2): G takes LR images in [0, 1] and is trained against HR images in
[-1, 1]. The last layer is a plain convolution (no tanh), so outputs can leave [-1, 1] slightly;
:func:`srgan_lite.data.convert.signed_to_unit` plus clamping turns them into images.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from torch import Tensor, nn

from .blocks import ResidualBlock, SubPixelUpsampler


@dataclass(frozen=True)
class GeneratorConfig:
    """The generator's architecture as data; stored in every checkpoint and weights file.

    Args:
        scale: upscaling factor (2, 3, 4 or 8; 4 in the paper).
        num_blocks: residual blocks B (16 in the paper).
        channels: feature maps per conv (64 in the paper).
        batch_norm: BatchNorm inside residual blocks and after the post-residual conv (paper: yes).
        icnr: ICNR initialisation of the sub-pixel convolutions (not in the paper; removes the
            initial checkerboard, Aitken et al. 2017).
    """

    scale: int = 4
    num_blocks: int = 16
    channels: int = 64
    batch_norm: bool = True
    icnr: bool = True

    def __post_init__(self) -> None:
        from ..errors import ConfigError

        if self.scale not in (2, 3, 4, 8):
            raise ConfigError(f"scale={self.scale} is not supported: use 2, 3, 4 or 8")
        if self.num_blocks < 0 or self.channels < 1:
            raise ConfigError(f"num_blocks={self.num_blocks}, channels={self.channels}: need blocks >= 0, channels >= 1")

    def to_dict(self) -> dict:
        return asdict(self)


#: The paper's architecture and initialisation (Fig. 4): ``GeneratorConfig()`` differs from it in ``icnr`` only.
PAPER_CONFIG = GeneratorConfig(icnr=False)


def upsampling_factors(scale: int) -> list[int]:
    """The sub-pixel stages for a scale: x4 -> [2, 2] as in the paper, x8 -> [2, 2, 2], x3 -> [3]."""
    if scale == 3:
        return [3]
    return [2] * int(math.log2(scale))


class SRResNet(nn.Module):
    """The paper's SRResNet generator (Fig. 4, top).

    conv9x9(64) + PReLU -> B residual blocks -> conv3x3 + BN, added to the first features (the
    long skip) -> log2(scale) sub-pixel x2 stages -> conv9x9(3).

    Args:
        config: the architecture; ``GeneratorConfig()`` has the paper's layers (about 1.55 M parameters)
            and one default that is not the paper's: ``icnr=True`` (the sub-pixel convolutions start
            from ICNR, not from PyTorch's default initialisation; ``icnr=False`` is the paper's).

    Shapes:
        input (N, 3, h, w) in [0, 1]; output (N, 3, scale*h, scale*w), trained towards [-1, 1].
    """

    def __init__(self, config: GeneratorConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or GeneratorConfig()
        c = config.channels
        self.head = nn.Sequential(nn.Conv2d(3, c, 9, padding=4), nn.PReLU())
        self.body = nn.Sequential(*[ResidualBlock(c, batch_norm=config.batch_norm) for _ in range(config.num_blocks)])
        tail: list[nn.Module] = [nn.Conv2d(c, c, 3, padding=1)]
        if config.batch_norm:
            tail.append(nn.BatchNorm2d(c))
        self.body_tail = nn.Sequential(*tail)
        self.upsample = nn.Sequential(
            *[SubPixelUpsampler(c, r, icnr=config.icnr) for r in upsampling_factors(config.scale)]
        )
        self.tail = nn.Conv2d(c, 3, 9, padding=4)

    def forward(self, lr: Tensor) -> Tensor:
        features = self.head(lr)
        features = features + self.body_tail(self.body(features))  # the long (global) skip
        return self.tail(self.upsample(features))


def srresnet(
    *,
    scale: int = 4,
    num_blocks: int = 16,
    channels: int = 64,
    batch_norm: bool = True,
    icnr: bool = True,
) -> SRResNet:
    """Build an SRResNet. The defaults are the paper's architecture (x4, B = 16, 64 channels, BatchNorm)
    with one exception, ``icnr=True``: ICNR initialisation of the sub-pixel convolutions, which the paper
    does not use (``icnr=False`` initialises them as PyTorch does). The layers and parameter count are
    the same either way; only the starting weights differ.

    For trained weights use :func:`srgan_lite.load_pretrained` (a registered name or a file).

    Args:
        scale: upscaling factor (2, 3, 4, 8).
        num_blocks: residual blocks B (paper: 16).
        channels: feature maps (paper: 64).
        batch_norm: BatchNorm in the residual trunk (paper: True).
        icnr: ICNR initialisation of the sub-pixel convolutions (not in the paper; default True).
    """
    return SRResNet(GeneratorConfig(scale, num_blocks, channels, batch_norm, icnr))


def count_parameters(model: nn.Module, trainable_only: bool = True) -> int:
    """Number of (trainable) parameters of a model."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)
