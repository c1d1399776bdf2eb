"""SRResNet, the generator network G of the paper (Ledig et al. 2017, Fig. 4, top), and the generators' config.

Value ranges (Sec. 3.2): G takes LR images in [0, 1] and is trained against HR images in
[-1, 1]. The last layer is a plain convolution (no tanh), so outputs can leave [-1, 1] slightly;
:func:`srgan_lite.data.convert.signed_to_unit` plus clamping turns them into images.
"""
from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass
from typing import Any

from torch import Tensor, nn

from .blocks import ResidualBlock, ResizeConvUpsampler, SubPixelUpsampler

#: The architectures a :class:`GeneratorConfig` describes (``arch``); built by
#: :data:`srgan_lite.models.architectures.ARCHITECTURES`.
GENERATOR_ARCHS: tuple[str, ...] = ("srresnet", "rrdbnet")


@dataclass(frozen=True)
class GeneratorConfig:
    """A generator's architecture as data; stored in every checkpoint and weights file.

    One config serves every architecture of :data:`GENERATOR_ARCHS`:
    ``arch`` names it, ``scale``, ``num_blocks`` and ``channels`` size any of them, and the other fields
    belong to one architecture each.

    Args:
        scale: upscaling factor (2, 3, 4 or 8; 4 in the paper; RRDBNet: 2, 4 or 8).
        num_blocks: residual blocks B (16 in the paper; RRDBs for ``rrdbnet``, 23 in ESRGAN).
        channels: feature maps per conv (64 in the paper and in ESRGAN).
        batch_norm: SRResNet: BatchNorm inside residual blocks and after the post-residual conv (paper: yes).
        icnr: SRResNet: ICNR initialisation of the sub-pixel convolutions (not in the paper; removes the
            initial checkerboard, Aitken et al. 2017).
        arch: ``srresnet`` (the paper's G) or ``rrdbnet`` (ESRGAN's G, Wang et al. 2018).
        growth: RRDBNet: channels each dense-block conv adds (ESRGAN: 32, the default for ``rrdbnet``);
            must be None for ``srresnet``.
        upsampler: SRResNet: ``subpixel`` (the paper's sub-pixel convolutions) or ``resize`` (nearest-neighbour
            upsampling then a convolution, Odena et al. 2016, as in ESRGAN; not in the paper; ``icnr`` is then
            False, having no sub-pixel convolution to initialise).

    RRDBNet has neither BatchNorm nor sub-pixel convolutions: with ``arch="rrdbnet"``, ``batch_norm`` and
    ``icnr`` are False whatever they were, so that ``replace(config, arch="rrdbnet")`` (``--set model.arch=rrdbnet``)
    gives a config that describes the network built.
    """

    scale: int = 4
    num_blocks: int = 16
    channels: int = 64
    batch_norm: bool = True
    icnr: bool = True
    arch: str = "srresnet"
    growth: int | None = None
    upsampler: str = "subpixel"

    def __post_init__(self) -> None:
        from ..errors import ConfigError

        if self.arch not in GENERATOR_ARCHS:
            raise ConfigError(f"model.arch={self.arch!r} is unknown: choose {', '.join(GENERATOR_ARCHS)}")
        if self.scale not in (2, 3, 4, 8):
            raise ConfigError(f"scale={self.scale} is not supported: use 2, 3, 4 or 8")
        if self.num_blocks < 0 or self.channels < 1:
            raise ConfigError(f"num_blocks={self.num_blocks}, channels={self.channels}: need blocks >= 0, channels >= 1")
        if self.arch == "srresnet" and self.growth is not None:
            raise ConfigError(f"model.growth={self.growth} sizes RRDBNet's dense blocks: with model.arch=srresnet "
                              "remove it (null), or set model.arch=rrdbnet")
        if self.upsampler not in UPSAMPLERS:
            raise ConfigError(f"model.upsampler={self.upsampler!r} is unknown: choose {', '.join(UPSAMPLERS)}")
        if self.upsampler == "resize":
            object.__setattr__(self, "icnr", False)
        if self.arch == "rrdbnet":
            if self.upsampler != "subpixel":
                raise ConfigError(f"model.upsampler={self.upsampler} is SRResNet's option: RRDBNet always "
                                  "upsamples by resize-convolution; remove it")
            if self.scale not in (2, 4, 8):
                raise ConfigError(f"model.scale={self.scale} is not supported by model.arch=rrdbnet: use 2, 4 or 8")
            growth = 32 if self.growth is None else self.growth
            if growth < 1:
                raise ConfigError(f"model.growth={growth} must be at least 1 (ESRGAN: 32)")
            for name, value in (("batch_norm", False), ("icnr", False), ("growth", growth)):
                object.__setattr__(self, name, value)

    def to_dict(self) -> dict:
        return asdict(self)


#: ``GeneratorConfig.upsampler`` choices (SRResNet).
UPSAMPLERS = ("subpixel", "resize")


#: The paper's architecture and initialisation (Fig. 4): ``GeneratorConfig()`` differs from it in ``icnr`` only.
PAPER_CONFIG = GeneratorConfig(icnr=False)


def upsampling_factors(scale: int) -> list[int]:
    """The sub-pixel stages for a scale: x4 -> [2, 2] as in the paper, x8 -> [2, 2, 2], x3 -> [3]."""
    if scale == 3:
        return [3]
    return [2] * int(math.log2(scale))


#: The modules that work at LR resolution, before the upsampler: what ``run.init_trunk`` takes from a trained G.
TRUNK = ("head", "body", "body_tail")


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
        if config.arch != "srresnet":
            from ..errors import ConfigError

            raise ConfigError(f"SRResNet cannot build model.arch={config.arch!r}: use build_generator(config)")
        c = config.channels
        self.head = nn.Sequential(nn.Conv2d(3, c, 9, padding=4), nn.PReLU())
        self.body = nn.Sequential(*[ResidualBlock(c, batch_norm=config.batch_norm) for _ in range(config.num_blocks)])
        tail: list[nn.Module] = [nn.Conv2d(c, c, 3, padding=1)]
        if config.batch_norm:
            tail.append(nn.BatchNorm2d(c))
        self.body_tail = nn.Sequential(*tail)
        self.upsample = nn.Sequential(*[
            SubPixelUpsampler(c, r, icnr=config.icnr) if config.upsampler == "subpixel" else ResizeConvUpsampler(c, r)
            for r in upsampling_factors(config.scale)
        ])
        self.tail = nn.Conv2d(c, 3, 9, padding=4)

    def forward(self, lr: Tensor) -> Tensor:
        features = self.head(lr)
        features = features + self.body_tail(self.body(features))  # the long (global) skip
        return self.tail(self.upsample(features))

    def receptive_radius(self) -> int:
        """LR pixels on each side that one output pixel depends on (40 for the paper's G): the context a
        tile needs (:func:`srgan_lite.inference.upscale_tensor`).

        At LR: head 9x9 (4) + 2 per residual block + the conv3x3 after the trunk (1); each sub-pixel
        conv3x3 adds 1 pixel at its own resolution, the final 9x9 4 HR pixels.
        """
        radius, factor = 4 + 2 * self.config.num_blocks + 1, 1
        for r in upsampling_factors(self.config.scale):
            # a sub-pixel conv works before its shuffle, a resize-convolution after its resize
            radius += 1 / factor if self.config.upsampler == "subpixel" else 1 / (factor * r)
            factor *= r
        return math.ceil(radius + 4 / factor)


def srresnet(*, weights: str | os.PathLike | None = None, **overrides: Any) -> SRResNet:
    """Build an SRResNet. The defaults are the paper's architecture (x4, B = 16, 64 channels, BatchNorm)
    with one exception, ``icnr=True``: ICNR initialisation of the sub-pixel convolutions, which the paper
    does not use (``icnr=False`` initialises them as PyTorch does). The layers and parameter count are
    the same either way; only the starting weights differ.

    Args:
        weights: trained weights: a registered name (``srresnet_x4``, ``srgan_x4``, ...; see
            :func:`srgan_lite.models.pretrained.registry`) or a ``.safetensors`` file; the model is then
            returned in eval mode. None: random initialisation, train mode.
        **overrides: :class:`GeneratorConfig` fields: ``scale`` (2, 3, 4, 8), ``num_blocks`` (B; paper: 16),
            ``channels`` (paper: 64), ``batch_norm`` (paper: True), ``icnr`` (not in the paper; default True).
            With ``weights`` they may only repeat the weights' own values.

    Raises:
        WeightsError: unknown weights, weights of another architecture, or overrides that contradict them.
    """
    if weights is not None:
        from .pretrained import pretrained_generator

        return pretrained_generator("srresnet", weights, overrides)
    return SRResNet(GeneratorConfig(**overrides))


def count_parameters(model: nn.Module, trainable_only: bool = True) -> int:
    """Number of (trainable) parameters of a model."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)
