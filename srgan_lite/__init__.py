"""srgan_lite: SRResNet and SRGAN (Ledig et al., CVPR 2017), small, faithful and tested.

The public API, by layer (each imports only the ones above it):

* networks: :class:`SRResNet` / :func:`srresnet`, :class:`Discriminator`, :class:`ResidualBlock`,
  :class:`SubPixelUpsampler`;
* losses: :func:`pixel_mse`, :class:`VGGContentLoss`, :func:`generator_adversarial_loss`,
  :func:`discriminator_loss`, :class:`PerceptualLoss`;
* data and protocol: :func:`bicubic_degrade`, :func:`imresize`, :func:`read_image`,
  :class:`HRCropDataset`, :func:`psnr`, :func:`ssim`, :func:`evaluate`;
* training and use: :func:`make_config`, :func:`train`, :func:`load_pretrained`, :func:`upscale`.
"""
from __future__ import annotations

from .models.blocks import ResidualBlock, SubPixelUpsampler, icnr_
from .models.checkpoint import average_checkpoints, load_checkpoint, load_generator, save_checkpoint, save_generator
from .training.config import TrainConfig, make_config
from .data.crops import HRCropDataset, PairedDataset, load_eval_images, read_image
from .data.datasets import resolve_dataset, skimage_photos
from .models.discriminator import PAPER_LAYERS, Discriminator
from .errors import SRGANLiteError
from .evaluation.protocol import PROTOCOL, EvalResult, evaluate, format_results
from .models.srresnet import GeneratorConfig, SRResNet, count_parameters, srresnet
from .data.imresize import bicubic_degrade, imresize, imresize_uint8, modcrop
from .inference import super_resolve, upscale, upscale_tensor
from .losses.perceptual import PerceptualLoss
from .losses.content import VGGContentLoss, pixel_mse
from .losses.adversarial import discriminator_loss, generator_adversarial_loss
from .evaluation.metrics import psnr, psnr_image, rgb_to_y, ssim, ssim_image
from .training.loop import TrainResult, train
from .losses.vgg import VGGFeatures
from .models.pretrained import load_pretrained

__version__ = "0.1.0"


def __getattr__(name: str):
    """``sl.viz`` on first use: the plotting helpers import matplotlib, which training and inference never need."""
    if name == "viz":
        import importlib

        return importlib.import_module(".viz", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
