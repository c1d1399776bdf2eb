"""What G and D minimise: content losses (Eq. 4, 5), adversarial losses (Eq. 2, 6), the perceptual loss (Eq. 3), and the frozen feature networks they use."""
from __future__ import annotations

from .adversarial import (
    ADVERSARIAL_WEIGHT,
    GAN_LOSSES,
    GANLoss,
    discriminator_loss,
    generator_adversarial_loss,
    relativistic_discriminator_loss,
    relativistic_generator_loss,
)
from .artifact import ARTIFACT_WINDOW, artifact_loss, artifact_map, local_variance
from .content import (
    CONTENT_LOSSES,
    LITE0_NORM_RESCALE,
    LITE0_NORM_TAPS,
    LITE0_TAP,
    VGG_RESCALE,
    FeatureContentLoss,
    NormalizedFeatureLoss,
    VGGContentLoss,
    calibrate_rescale,
    content_loss,
    normalized_feature_distance,
    pixel_mse,
)
from .efficientnet import EfficientNetLite0
from .perceptual import PerceptualLoss
from .phase import subpixel_phase_loss, subpixel_phase_pattern
from .vgg import VGGFeatures, vgg_conv_and_relu

__all__ = [
    "ADVERSARIAL_WEIGHT", "ARTIFACT_WINDOW", "CONTENT_LOSSES", "EfficientNetLite0", "FeatureContentLoss", "GANLoss",
    "GAN_LOSSES", "LITE0_NORM_RESCALE", "LITE0_NORM_TAPS", "LITE0_TAP", "NormalizedFeatureLoss", "PerceptualLoss",
    "VGGContentLoss", "VGGFeatures", "VGG_RESCALE", "artifact_loss", "artifact_map", "calibrate_rescale",
    "content_loss", "discriminator_loss", "generator_adversarial_loss", "local_variance",
    "normalized_feature_distance", "pixel_mse", "relativistic_discriminator_loss", "relativistic_generator_loss",
    "subpixel_phase_loss", "subpixel_phase_pattern", "vgg_conv_and_relu"
]
