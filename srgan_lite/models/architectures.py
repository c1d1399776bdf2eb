"""Generators by name: ``model.arch`` -> the network class that builds it from a :class:`GeneratorConfig`.

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

from torch import nn

from .rrdbnet import RRDBNet
from .srresnet import GENERATOR_ARCHS, GeneratorConfig, SRResNet

#: ``GeneratorConfig.arch`` -> what builds that generator from the config.
ARCHITECTURES: dict[str, Callable[[GeneratorConfig], nn.Module]] = {"srresnet": SRResNet, "rrdbnet": RRDBNet}
assert tuple(ARCHITECTURES) == GENERATOR_ARCHS, "every arch a GeneratorConfig accepts needs a builder"


def build_generator(config: GeneratorConfig) -> nn.Module:
    """A freshly initialised generator of ``config.arch`` (train mode), with ``config`` in its ``.config``."""
    return ARCHITECTURES[config.arch](config)
