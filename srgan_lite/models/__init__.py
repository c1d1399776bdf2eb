"""Networks: the paper's SRResNet and discriminator (Fig. 4), a patch discriminator, ESRGAN's RRDBNet, the
networks by name (``model.arch``, ``discriminator.arch``), and the registry of shipped weights."""
from __future__ import annotations

from .architectures import ARCHITECTURES, DISCRIMINATOR_ARCHS, DiscriminatorConfig, build_discriminator, build_generator
from .blocks import ResidualBlock, ResizeConvUpsampler, SubPixelUpsampler, batchnorm_modes, icnr_
from .checkpoint import (
    atomic_write,
    average_checkpoints,
    generator_config,
    load_checkpoint,
    load_generator,
    load_state_dict_strict,
    read_generator_file,
    save_checkpoint,
    save_generator,
)
from .discriminator import Discriminator
from .patch_discriminator import PatchDiscriminator
from .pretrained import (
    DEFAULT_WEIGHTS,
    WEIGHTS_DIR,
    history_path,
    interpolate_weights,
    load_pretrained,
    model_card,
    pretrained_generator,
    publish,
    read_history,
    registry,
    shipped_config,
    weights_path,
)
from .rrdbnet import ESRGAN_CONFIG, RESIDUAL_SCALE, RRDB, ResidualDenseBlock, RRDBNet, rrdbnet
from .srresnet import (
    GENERATOR_ARCHS,
    PAPER_CONFIG,
    GeneratorConfig,
    SRResNet,
    count_parameters,
    srresnet,
    upsampling_factors,
)

__all__ = [
    "ARCHITECTURES",
    "atomic_write",
    "average_checkpoints",
    "batchnorm_modes",
    "build_discriminator",
    "build_generator",
    "count_parameters",
    "DEFAULT_WEIGHTS",
    "Discriminator",
    "DISCRIMINATOR_ARCHS",
    "DiscriminatorConfig",
    "ESRGAN_CONFIG",
    "GENERATOR_ARCHS",
    "generator_config",
    "GeneratorConfig",
    "history_path",
    "icnr_",
    "interpolate_weights",
    "load_checkpoint",
    "load_generator",
    "load_pretrained",
    "load_state_dict_strict",
    "PatchDiscriminator",
    "model_card",
    "PAPER_CONFIG",
    "pretrained_generator",
    "publish",
    "read_generator_file",
    "read_history",
    "registry",
    "RESIDUAL_SCALE",
    "ResidualBlock",
    "ResizeConvUpsampler",
    "ResidualDenseBlock",
    "RRDB",
    "RRDBNet",
    "rrdbnet",
    "save_checkpoint",
    "save_generator",
    "SRResNet",
    "srresnet",
    "SubPixelUpsampler",
    "shipped_config",
    "upsampling_factors",
    "WEIGHTS_DIR",
    "weights_path",
]
