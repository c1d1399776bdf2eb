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

from .blocks import ResidualBlock, SubPixelUpsampler, icnr_
from .checkpoint import average_checkpoints, load_checkpoint, load_generator, save_checkpoint, save_generator
from .config import TrainConfig, make_config
from .data import HRCropDataset, PairedDataset, load_eval_images, read_image
from .datasets import resolve_dataset, skimage_photos
from .discriminator import PAPER_LAYERS, Discriminator
from .errors import SRGANLiteError
from .evaluate import PROTOCOL, EvalResult, evaluate, format_results
from .generator import GeneratorConfig, SRResNet, count_parameters, srresnet
from .imresize import bicubic_degrade, imresize, imresize_uint8, modcrop
from .inference import super_resolve, upscale, upscale_tensor
from .losses import PerceptualLoss, VGGContentLoss, discriminator_loss, generator_adversarial_loss, pixel_mse
from .metrics import psnr, psnr_image, rgb_to_y, ssim, ssim_image
from .train import TrainResult, train
from .vgg import VGGFeatures
from .weights import load_pretrained

__version__ = "0.1.0"
