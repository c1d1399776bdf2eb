"""What came after SRGAN: ESRGAN's generator block and losses, and Real-ESRGAN's degradations.

ESRGAN (Wang et al., ECCV Workshops 2018) keeps SRGAN's recipe (content + adversarial loss) and
changes four things, each of which has a small, self-contained counterpart here:

* no BatchNorm in the generator (Sec. 3.1): :func:`batchnorm_modes` shows the train/test
  discrepancy that causes BN artifacts;
* the residual-in-residual dense block with residual scaling 0.2 (Sec. 3.1):
  :class:`ResidualDenseBlock`, :class:`RRDB` and the generator :class:`RRDBNet`;
* the relativistic average discriminator (Sec. 3.2, after Jolicoeur-Martineau, ICLR 2019):
  :func:`relativistic_discriminator_loss`, :func:`relativistic_generator_loss`;
* the perceptual loss on VGG features *before* the activation (Sec. 3.3): :func:`vgg_conv_and_relu`.

Real-ESRGAN (Wang et al., ICCV Workshops 2021) trains the same network on synthetic *realistic*
degradations (blur, resize, noise, JPEG, applied twice) instead of bicubic downsampling alone;
:func:`degrade_realistic` is one pass (its "first-order" model, Sec. 3.1).
"""
from __future__ import annotations

import copy
import io
import math

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import Tensor, nn

from .errors import ConfigError
from .imresize import imresize, modcrop
from .vgg import VGG19_LAYERS, VGGFeatures

#: ESRGAN's residual scaling: every residual branch is multiplied by 0.2 before it is added (Sec. 3.1).
RESIDUAL_SCALE = 0.2


def _scaled_kaiming_(module: nn.Module, scale: float) -> None:
    """ESRGAN's "smaller initialisation": Kaiming-normal weights times ``scale`` (0.1), zero biases."""
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight)
            m.weight.data.mul_(scale)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


class ResidualDenseBlock(nn.Module):
    """Five 3x3 convolutions with dense connections, no BN (ESRGAN Fig. 4, right; after RDN).

    Conv ``k`` sees the block input concatenated with the outputs of convs 1..k-1 (``growth``
    channels each); convs 1-4 are followed by LeakyReLU(0.2). The fifth maps back to ``channels``
    and is added to the input after multiplication by ``residual_scale``:
    ``out = x + residual_scale * conv5([x, x1, x2, x3, x4])``.

    Args:
        channels: feature maps in and out (64 in ESRGAN).
        growth: channels added by each of convs 1-4 (32 in ESRGAN).
        residual_scale: the residual scaling beta (0.2 in ESRGAN; 1.0 turns it off).
        init_scale: multiply the Kaiming initialisation by this (0.1 in ESRGAN).
    """

    def __init__(self, channels: int = 64, growth: int = 32, *, residual_scale: float = RESIDUAL_SCALE,
                 init_scale: float = 0.1) -> None:
        super().__init__()
        self.convs = nn.ModuleList(
            nn.Conv2d(channels + k * growth, growth if k < 4 else channels, 3, padding=1) for k in range(5)
        )
        self.act = nn.LeakyReLU(0.2, inplace=True)
        self.residual_scale = residual_scale
        _scaled_kaiming_(self, init_scale)

    def forward(self, x: Tensor) -> Tensor:
        features = [x]
        for conv in self.convs[:-1]:
            features.append(self.act(conv(torch.cat(features, dim=1))))
        return x + self.residual_scale * self.convs[-1](torch.cat(features, dim=1))


class RRDB(nn.Module):
    """Residual-in-residual dense block: three :class:`ResidualDenseBlock` s inside one more scaled residual.

    ``out = x + residual_scale * RDB3(RDB2(RDB1(x)))`` (ESRGAN Fig. 4). It replaces SRGAN's
    conv-BN-PReLU-conv-BN residual block; ESRGAN stacks 23 of them.
    """

    def __init__(self, channels: int = 64, growth: int = 32, *, residual_scale: float = RESIDUAL_SCALE,
                 init_scale: float = 0.1) -> None:
        super().__init__()
        self.blocks = nn.Sequential(*[ResidualDenseBlock(channels, growth, residual_scale=residual_scale,
                                                         init_scale=init_scale) for _ in range(3)])
        self.residual_scale = residual_scale

    def forward(self, x: Tensor) -> Tensor:
        return x + self.residual_scale * self.blocks(x)


class RRDBNet(nn.Module):
    """ESRGAN's generator: SRResNet's layout with RRDBs, no BN, and nearest-neighbour + conv upsampling.

    conv3x3 -> ``num_blocks`` RRDBs -> conv3x3, plus the long skip -> per factor 2: nearest x2,
    conv3x3, LeakyReLU -> conv3x3, LeakyReLU -> conv3x3 (3 channels). ESRGAN: 23 blocks, 64
    channels, growth 32 (about 16.7 M parameters). Same interface as :class:`srgan_lite.SRResNet`.

    Args:
        scale: 2, 4 or 8 (powers of two: one nearest-neighbour stage per factor 2).
        num_blocks, channels, growth: the trunk's size.
    """

    def __init__(self, scale: int = 4, num_blocks: int = 23, channels: int = 64, growth: int = 32) -> None:
        super().__init__()
        if scale not in (2, 4, 8):
            raise ConfigError(f"RRDBNet scale={scale} is not supported: use 2, 4 or 8")
        self.scale = scale
        self.head = nn.Conv2d(3, channels, 3, padding=1)
        self.body = nn.Sequential(*[RRDB(channels, growth) for _ in range(num_blocks)])
        self.body_tail = nn.Conv2d(channels, channels, 3, padding=1)
        self.upsample = nn.ModuleList(nn.Conv2d(channels, channels, 3, padding=1) for _ in range(int(math.log2(scale))))
        self.hr_conv = nn.Conv2d(channels, channels, 3, padding=1)
        self.tail = nn.Conv2d(channels, 3, 3, padding=1)
        self.act = nn.LeakyReLU(0.2, inplace=True)

    def forward(self, lr: Tensor) -> Tensor:
        features = self.head(lr)
        features = features + self.body_tail(self.body(features))
        for conv in self.upsample:
            features = self.act(conv(F.interpolate(features, scale_factor=2, mode="nearest")))
        return self.tail(self.act(self.hr_conv(features)))


def relativistic_discriminator_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """ESRGAN Eq. (1), D's side of the relativistic average GAN (RaGAN, Jolicoeur-Martineau 2019).

    With C the discriminator's logit and D_Ra(x_r, x_f) = sigmoid(C(x_r) - E_{x_f}[C(x_f)]):
    ``L_D = -E_{x_r}[log D_Ra(x_r, x_f)] - E_{x_f}[log(1 - D_Ra(x_f, x_r))]``.
    D no longer asks "is this image real?" but "is this real image *more* realistic than the
    fakes on average?". The two terms are summed, as in the paper (BasicSR averages them).
    """
    real_vs_fake = real_logits - fake_logits.mean()
    fake_vs_real = fake_logits - real_logits.mean()
    return (F.binary_cross_entropy_with_logits(real_vs_fake, torch.ones_like(real_vs_fake))
            + F.binary_cross_entropy_with_logits(fake_vs_real, torch.zeros_like(fake_vs_real)))


def relativistic_generator_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """ESRGAN Eq. (2), G's side of RaGAN: the labels of :func:`relativistic_discriminator_loss` swapped.

    ``L_G = -E_{x_r}[log(1 - D_Ra(x_r, x_f))] - E_{x_f}[log D_Ra(x_f, x_r)]``. Unlike Eq. (6) of
    SRGAN it depends on the real images' logits too, so G gets gradients from both.
    """
    real_vs_fake = real_logits - fake_logits.mean()
    fake_vs_real = fake_logits - real_logits.mean()
    return (F.binary_cross_entropy_with_logits(real_vs_fake, torch.zeros_like(real_vs_fake))
            + F.binary_cross_entropy_with_logits(fake_vs_real, torch.ones_like(fake_vs_real)))


@torch.no_grad()
def batchnorm_modes(model: nn.Module, lr: Tensor) -> tuple[Tensor, Tensor]:
    """A BN network's output on ``lr`` with BatchNorm's running statistics and with ``lr``'s own.

    Returns ``(running, batch)``: eval mode (the statistics accumulated in training, as at test
    time) and train mode (mean and variance of this batch, as in a training step). Their difference
    is the train/test discrepancy ESRGAN blames for BN artifacts. The model is left unchanged
    (train mode would update the running statistics; they are restored).
    """
    state = copy.deepcopy(model.state_dict())
    was_training = model.training
    try:
        running = model.eval()(lr)
        batch = model.train()(lr)
    finally:
        model.load_state_dict(state)
        model.train(was_training)
    return running, batch


def vgg_conv_and_relu(vgg: VGGFeatures, x: Tensor, layer: str = "relu5_4") -> tuple[Tensor, Tensor]:
    """VGG19 features of ``x`` (in [-1, 1]) just before and just after the ReLU that ends ``layer``.

    ESRGAN (Sec. 3.3) computes its perceptual loss on the *pre-activation* maps (``conv5_4``),
    because after the ReLU the deep maps are sparse and lose information. ``vgg`` must tap
    ``layer`` (or a deeper layer), e.g. ``VGGFeatures(("relu5_4",))``.
    """
    index = VGG19_LAYERS[layer]
    if len(vgg.features) <= index:
        raise ConfigError(f"this VGGFeatures stops before {layer}: build it with layers=({layer!r},)")
    captured: dict[str, Tensor] = {}
    # torchvision's ReLUs work in place: copy the conv output before the ReLU overwrites it
    hook = vgg.features[index - 1].register_forward_hook(lambda m, i, o: captured.__setitem__("conv", o.clone()))
    try:
        x = ((x + 1.0) * 0.5 - vgg.mean) / vgg.std
        for layer_module in vgg.features[: index + 1]:
            x = layer_module(x)
    finally:
        hook.remove()
    return captured["conv"], x


def gaussian_kernel(sigma: float, size: int | None = None) -> np.ndarray:
    """An isotropic 2-D Gaussian kernel (float64, sums to 1); ``size`` defaults to 2*ceil(3 sigma)+1."""
    if sigma <= 0:
        raise ConfigError(f"blur sigma={sigma} must be positive")
    size = size or 2 * math.ceil(3 * sigma) + 1
    t = np.arange(size, dtype=np.float64) - (size - 1) / 2
    g = np.exp(-0.5 * (t / sigma) ** 2)
    kernel = np.outer(g, g)
    return kernel / kernel.sum()


def degrade_realistic(
    hr: np.ndarray,
    scale: int = 4,
    *,
    blur_sigma: float = 1.2,
    noise_sigma: float = 5.0,
    jpeg_quality: int | None = 60,
    seed: int = 0,
) -> np.ndarray:
    """A first-order Real-ESRGAN-style degradation of an HR uint8 image: blur, downscale, noise, JPEG.

    1. Gaussian blur with ``blur_sigma`` (HR pixels; reflected borders); 0 skips it;
    2. MATLAB-style bicubic downscaling by ``scale`` (:func:`srgan_lite.imresize.imresize`, no rounding);
    3. additive Gaussian colour noise with standard deviation ``noise_sigma`` (in 0-255 units,
       drawn from ``np.random.default_rng(seed)``), then rounding to uint8; 0 skips the noise;
    4. JPEG compression at ``jpeg_quality`` (PIL, 1-100); None skips it.

    Real-ESRGAN (Wang et al. 2021, Sec. 3.1) draws the kernel, resize mode, noise and quality at
    random and applies the chain twice ("second order"); here every parameter is explicit and
    the result is a deterministic function of its arguments.

    Args:
        hr: RGB (H, W, 3) or grey (H, W) uint8 image; mod-cropped to ``scale`` first.

    Returns:
        The LR image, uint8, (H // scale, W // scale[, 3]).
    """
    if hr.dtype != np.uint8 or hr.ndim not in (2, 3):
        raise ConfigError(f"degrade_realistic expects a uint8 (H, W) or (H, W, C) image, got {hr.dtype} {hr.shape}")
    if scale < 1 or blur_sigma < 0 or noise_sigma < 0:
        raise ConfigError(f"scale={scale}, blur_sigma={blur_sigma}, noise_sigma={noise_sigma}: need scale >= 1, sigmas >= 0")
    if jpeg_quality is not None and not 1 <= jpeg_quality <= 100:
        raise ConfigError(f"jpeg_quality={jpeg_quality} must be in 1..100 (or None for no JPEG)")
    hr = modcrop(hr, scale)
    x = torch.from_numpy(np.ascontiguousarray(hr, dtype=np.float64))
    x = (x.permute(2, 0, 1) if hr.ndim == 3 else x[None])[None]  # (1, C, H, W)
    if blur_sigma > 0:
        kernel = torch.from_numpy(gaussian_kernel(blur_sigma))
        pad = kernel.shape[-1] // 2
        if min(x.shape[-2:]) <= pad:
            raise ConfigError(f"image of shape {hr.shape} is too small for blur_sigma={blur_sigma}")
        weight = kernel.expand(x.shape[1], 1, *kernel.shape).contiguous()
        x = F.conv2d(F.pad(x, (pad, pad, pad, pad), mode="reflect"), weight, groups=x.shape[1])
    if scale > 1:
        x = imresize(x, 1.0 / scale)
    x = x[0].permute(1, 2, 0).numpy() if hr.ndim == 3 else x[0, 0].numpy()
    if noise_sigma > 0:
        x = x + np.random.default_rng(seed).normal(0.0, noise_sigma, x.shape)
    lr = np.clip(np.floor(x + 0.5), 0, 255).astype(np.uint8)
    if jpeg_quality is not None:
        buffer = io.BytesIO()
        Image.fromarray(lr).save(buffer, format="JPEG", quality=int(jpeg_quality))
        lr = np.array(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB" if hr.ndim == 3 else "L"))
    return lr
