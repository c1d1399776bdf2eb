"""srgan_lite: SRResNet and SRGAN (Ledig et al., CVPR 2017), small, faithful and tested."""
from __future__ import annotations

from .blocks import ResidualBlock, SubPixelUpsampler, icnr_
from .checkpoint import load_checkpoint, load_generator, save_checkpoint, save_generator
from .discriminator import PAPER_LAYERS, Discriminator
from .errors import SRGANLiteError
from .generator import GeneratorConfig, SRResNet, count_parameters, srresnet
from .losses import (
    PerceptualLoss,
    VGGContentLoss,
    discriminator_loss,
    generator_adversarial_loss,
    pixel_mse,
)
from .vgg import VGGFeatures

__version__ = "0.1.0"
