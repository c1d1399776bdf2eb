"""Networks by name: ``model.arch`` -> the generator class that builds it from a :class:`GeneratorConfig`;
``discriminator.arch`` -> the discriminator (:class:`DiscriminatorConfig`, :func:`build_discriminator`).

Everything that makes or rebuilds a generator goes through :func:`build_generator`: training
(``--set model.arch=rrdbnet``), :func:`srgan_lite.load_generator` (the ``arch`` in a file's metadata),
checkpoint averaging and network interpolation. Each class takes the config as its one argument, keeps it
in ``.config`` (so it can be saved) and reports ``.receptive_radius()`` (the context a tile needs).

References:
    Ledig et al., "Photo-Realistic Single Image Super-Resolution Using a Generative Adversarial
    Network", CVPR 2017 (SRResNet, ``srresnet``).
    Wang et al., "ESRGAN: Enhanced Super-Resolution Generative Adversarial Networks", ECCV Workshops
    2018 (RRDBNet, ``rrdbnet``).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from torch import nn

from ..errors import ConfigError
from .discriminator import Discriminator, scaled_layers
from .patch_discriminator import PatchDiscriminator
from .rrdbnet import RRDBNet
from .srresnet import GENERATOR_ARCHS, GeneratorConfig, SRResNet

#: ``GeneratorConfig.arch`` -> what builds that generator from the config.
ARCHITECTURES: dict[str, Callable[[GeneratorConfig], nn.Module]] = {"srresnet": SRResNet, "rrdbnet": RRDBNet}
assert tuple(ARCHITECTURES) == GENERATOR_ARCHS, "every arch a GeneratorConfig accepts needs a builder"


def build_generator(config: GeneratorConfig) -> nn.Module:
    """A freshly initialised generator of ``config.arch`` (train mode), with ``config`` in its ``.config``."""
    return ARCHITECTURES[config.arch](config)


@dataclass(frozen=True)
class DiscriminatorConfig:
    """The discriminator as data (SRGAN training's ``discriminator.*``).

    Args:
        arch: ``paper`` (Fig. 4: eight convolutions with BatchNorm, two dense layers, one logit per crop) or
            ``patch`` (:class:`PatchDiscriminator`: the same convolutions with spectral normalisation instead of
            BatchNorm and a logit per 16 x 16 block; not in the paper, after Real-ESRGAN).
        channels: width of the first convolution (paper: 64); every layer of the table scales with it.
    """

    arch: str = "paper"
    channels: int = 64

    def __post_init__(self) -> None:
        if self.arch not in DISCRIMINATOR_ARCHS:
            raise ConfigError(f"discriminator.arch={self.arch!r} is unknown: choose {', '.join(DISCRIMINATOR_ARCHS)}")
        scaled_layers(self.channels)  # refuses a width below 1


#: ``DiscriminatorConfig.arch`` -> what builds that discriminator from its (channels, stride) table and crop size.
DISCRIMINATORS: dict[str, Callable[[tuple[tuple[int, int], ...], int], nn.Module]] = {
    "paper": lambda layers, image_size: Discriminator(image_size, layers=layers),
    "patch": lambda layers, image_size: PatchDiscriminator(layers=layers),  # any size: a logit per 16 x 16 block
}
DISCRIMINATOR_ARCHS = tuple(DISCRIMINATORS)


def build_discriminator(config: DiscriminatorConfig, image_size: int) -> nn.Module:
    """A freshly initialised discriminator of ``config.arch`` for ``image_size`` x ``image_size`` HR crops."""
    return DISCRIMINATORS[config.arch](scaled_layers(config.channels), image_size)
