"""Everything a :class:`srgan_lite.training.loop.Trainer` needs before its first step.

In the order the trainer calls them (the order fixes what the seeded random generators produce): join
the process group and seed (:func:`start`); build G (from ``run.init`` if set) and, for SRGAN, D, with
BatchNorm synchronised across processes when ``run.sync_bn`` says so (:func:`build_networks`); the loss
(:func:`build_loss`); Adam and the schedules (:func:`build_optimizers`); DDP around the networks
(:func:`wrap_networks`); the training crops and validation images (:func:`training_images`,
:func:`hold_out`, :func:`validation_images`). Whatever may download (datasets, VGG19's weights) runs on rank 0 first.
"""
from __future__ import annotations

import dataclasses
import random
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from .. import losses
from ..data.textures import TEXTURE_PREFIX, texture_set
from ..errors import ConfigError
from . import distributed as ddp
from .config import TrainConfig
from .schedule import scheduler


def start(config: TrainConfig) -> tuple[ddp.Dist, torch.device]:
    """Join the process group (under torchrun), check the batch splits evenly, seed every generator."""
    info, device = ddp.init_distributed(config.run.device)
    if config.data.batch_size % info.world_size:
        raise ConfigError(f"data.batch_size={config.data.batch_size} must be divisible by the {info.world_size} processes")
    torch.manual_seed(config.run.seed)
    random.seed(config.run.seed)
    np.random.seed(config.run.seed)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    return info, device


def use_amp(config: TrainConfig, device: torch.device) -> bool:
    """bf16 autocast: ``run.amp=bf16``, or ``auto`` on CUDA."""
    return config.run.amp == "bf16" or (config.run.amp == "auto" and device.type == "cuda")


def memory_format(config: TrainConfig) -> torch.memory_format:
    return torch.channels_last if config.run.channels_last else torch.contiguous_format


def build_networks(config: TrainConfig, info: ddp.Dist, device: torch.device, *,
                   resume: bool) -> tuple[nn.Module, nn.Module | None]:
    """G of ``model.arch`` (with ``run.init``'s weights unless resuming) and, for SRGAN, D of ``discriminator.arch``,
    on ``device``.

    Raises:
        ConfigError: the paper's SRGAN without ``run.init`` (it starts from a trained SRResNet), or
            ``run.init`` weights of another architecture (``model.arch`` or its sizes).
    """
    from ..models.architectures import build_discriminator, build_generator
    from ..models.srresnet import TRUNK

    run, gan = config.run, config.run.stage == "srgan"
    if gan and config.profile == "paper" and not run.init and not resume:
        raise ConfigError("the paper's SRGAN starts from a trained SRResNet: pass --init srresnet_x4 (the shipped one) "
                          "or --init PATH.safetensors (run.init)")
    fmt = memory_format(config)
    generator = build_generator(config.model).to(device, memory_format=fmt)
    if run.init and not resume:
        from ..models.pretrained import load_pretrained

        source = load_pretrained(run.init)
        if source.config.arch != config.model.arch:
            raise ConfigError(f"run.init={run.init} is a generator of model.arch={source.config.arch}, but the config "
                              f"has model.arch={config.model.arch}: set model.arch={source.config.arch} or pick other weights")
        # ICNR only initialises the weights that run.init replaces (with init_trunk, the upsampler is fresh anyway):
        # any other difference is another network
        fresh = dict(icnr=config.model.icnr) | (dict(upsampler=config.model.upsampler) if run.init_trunk else {})
        if dataclasses.replace(source.config, **fresh) != config.model:
            hint = ("" if run.init_trunk or source.config.upsampler == config.model.upsampler else
                    "; to start a new upsampler from its trunk, set run.init_trunk=true")
            raise ConfigError(f"run.init={run.init} is a {source.config} generator, but model is {config.model}{hint}")
        state = source.state_dict()
        if run.init_trunk:
            state = {k: v for k, v in state.items() if k.split(".")[0] in TRUNK}
        missing = generator.load_state_dict(state, strict=not run.init_trunk).missing_keys
        assert all(k.split(".")[0] not in TRUNK for k in missing), missing  # only the upsampler and last conv are new
    discriminator = (build_discriminator(config.discriminator, config.data.patch_size).to(device, memory_format=fmt)
                     if gan else None)
    if ddp.use_sync_bn(run.sync_bn, info):
        generator = ddp.sync_batchnorm(generator)
        discriminator = ddp.sync_batchnorm(discriminator) if gan else None
    return generator, discriminator


def build_loss(config: TrainConfig, info: ddp.Dist, device: torch.device) -> losses.PerceptualLoss:
    """The perceptual loss of Eq. (3) per ``loss.*``; rank 0 builds it first (it may download VGG19's weights)."""
    loss = config.loss

    def build(_first: bool) -> losses.PerceptualLoss:
        return losses.PerceptualLoss(loss.content, adversarial_weight=loss.adversarial_weight,
                                     pixel_weight=loss.pixel_weight, phase_weight=loss.phase_weight,
                                     artifact_weight=loss.artifact_weight,
                                     scale=config.model.scale, gan_type=loss.gan_type,
                                     rescale=loss.content_rescale, vgg_weights=loss.vgg_weights,
                                     allow_random_fallback=loss.allow_random_vgg).to(device)

    return ddp.main_first(info, build)


def build_optimizers(config: TrainConfig, generator: nn.Module,
                     discriminator: nn.Module | None) -> tuple[Any, Any, Any, Any]:
    """Adam for G and D (``optim.lr``, ``optim.lr_d``) and their per-step schedules (:mod:`.schedule`)."""
    optim = config.optim
    if optim.freeze_upsampler:  # the sub-pixel convolutions and the last conv keep the starting network's weights
        for module in (generator.upsample, generator.tail):
            module.requires_grad_(False)
    trainable = [p for p in generator.parameters() if p.requires_grad]
    opt_g = torch.optim.Adam(trainable, lr=optim.lr, betas=optim.betas)
    if discriminator is None:
        return opt_g, scheduler(config, opt_g), None, None
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=optim.lr_d or optim.lr, betas=optim.betas)
    return opt_g, scheduler(config, opt_g), opt_d, scheduler(config, opt_d)


def wrap_networks(config: TrainConfig, generator: nn.Module, discriminator: nn.Module | None, info: ddp.Dist,
                  device: torch.device) -> tuple[nn.Module, nn.Module | None]:
    """What the steps call: DDP (several processes) and ``torch.compile`` (``run.compile``) around the plain modules."""
    generator_ddp = ddp.wrap(generator, info, device)
    if config.run.compile:
        generator_ddp = torch.compile(generator_ddp)
    return generator_ddp, (ddp.wrap(discriminator, info, device) if discriminator is not None else None)


def training_images(config: TrainConfig, info: ddp.Dist):
    """``data.train``: ``skimage``, or dataset names / folders joined by commas -> what HRCropDataset accepts."""
    from ..data.crops import list_images
    from ..data.datasets import resolve_dataset, skimage_photos

    data = config.data
    if data.train == "skimage":
        return skimage_photos()
    if data.train.startswith(TEXTURE_PREFIX):  # one texture's left half (srgan_lite.data.textures)
        return texture_set(data.train, "train")
    paths = []
    for part in data.train.split(","):
        folder = ddp.main_first(info, lambda download, part=part: resolve_dataset(part.strip(), data.data_dir, download=download))
        paths.extend(list_images(folder))
    return paths


def crop_dataset(config: TrainConfig, images):
    """Random HR crops (``patch_size`` + ``shift_jitter`` for SRGAN) and their degraded LR, per ``data.*``."""
    from ..data.crops import HRCropDataset

    data = config.data
    crop = data.patch_size + (data.shift_jitter if config.run.stage == "srgan" else 0)
    return HRCropDataset(images, patch_size=crop, scale=config.model.scale, augment=data.augment)


def device_stream(config: TrainConfig, dataset, device: torch.device):
    """``data.pipeline=device``: the dataset's crop stream, made on the device (:mod:`srgan_lite.data.device_crops`);
    None for ``loader`` (the trainer's DataLoader then cuts the crops)."""
    if config.data.pipeline != "device":
        return None
    from ..data.device_crops import DeviceCropStream

    return DeviceCropStream.from_dataset(dataset.base, seed=config.run.seed, device=device)


def hold_out(config: TrainConfig, images: list) -> tuple[list, list]:
    """``data.val_split``: (training images, held-out images), the held-out ones chosen from ``run.seed`` alone.

    A generator of its own draws them, so the global random state (and with it an exact resume) is untouched.
    """
    count = config.data.val_split
    if not count:
        return images, []
    if count >= len(images):
        raise ConfigError(f"data.val_split={count} would hold out all {len(images)} training images: lower it")
    held = set(random.Random(config.run.seed).sample(range(len(images)), count))
    return [x for i, x in enumerate(images) if i not in held], [x for i, x in enumerate(images) if i in held]


def validation_images(config: TrainConfig, info: ddp.Dist, held_out: Sequence[Any] = ()) -> list:
    """``data.val`` (or the ``held_out`` images of ``data.val_split``) as (name, image) pairs, at most
    ``max_val_images``, centre-cropped to ``val_crop``.

    Single-channel files stay (H, W) arrays, which :func:`srgan_lite.evaluation.evaluate` scores on their grey
    values (Set14's ``bridge``), so a run's validation PSNR is the protocol's.
    """
    from ..data.crops import load_eval_images
    from ..data.datasets import resolve_dataset, skimage_photos
    from .log import centre_crop

    data = config.data
    if data.val_split:
        images = load_eval_images(list(held_out), keep_gray=True)
    elif not data.val:
        return []
    elif data.val == "skimage":
        images = skimage_photos()
    elif data.val.startswith(TEXTURE_PREFIX):  # the tiles of its right half
        images = texture_set(data.val, "test")
    else:
        folder = ddp.main_first(info, lambda download: resolve_dataset(data.val, data.data_dir, download=download))
        images = load_eval_images(folder, keep_gray=True)
    if data.max_val_images:
        images = images[: data.max_val_images]
    if data.val_crop:
        images = [(name, centre_crop(image, data.val_crop)) for name, image in images]
    return images
