"""The paper's losses (Ledig et al. 2017, Sec. 2.2): Eqs. (3)-(6) and the discriminator's side of Eq. (2).

* pixel-wise MSE, Eq. (4): the SRResNet objective and the "MSE" content loss of SRGAN-MSE;
* VGG content loss, Eq. (5): MSE between VGG19 feature maps phi_{i,j}, with the paper's 1/12.75
  rescaling of the feature maps ("equivalent to multiplying Eq. (5) with ... approximately 0.006");
* the same loss on EfficientNet-Lite0 features (``lite0``), an ImageNet network whose weights install
  offline, for everyone without a VGG19 file (:mod:`srgan_lite.efficientnet`);
* adversarial loss, Eq. (6): -log D(G(I^LR)) for the generator (non-saturating);
* the perceptual loss, Eq. (3): l^SR = l^SR_X + 10^-3 l^SR_Gen.

Discriminator outputs are logits; sigmoids live in ``binary_cross_entropy_with_logits``.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .errors import ConfigError
from .vgg import PAPER_TAPS, VGGFeatures, WeightsSpec

#: Content losses: the paper's three (Table 1) and the offline EfficientNet-Lite0 ones.
CONTENT_LOSSES = ("mse", "vgg22", "vgg54", "lite0", "lite0_norm")
#: The paper's feature-map rescaling: phi / 12.75 brings VGG losses "to a scale comparable to the MSE loss".
VGG_RESCALE = 1.0 / 12.75
#: The Lite0 tap that plays phi_{5,4}'s role: the deepest stride-16 map after an activation. Chapter 6 keeps the
#: experiment: it tells a blurred image from a 1-pixel shift of the original (6.7x farther), and on the scikit-image
#: photos it does not *reward* a faint 4-pixel grid added to an SR image (+0.8 %); on Set14 every stride-8/16 map
#: does, this one least (-0.5 %), which is why training needs the sub-pixel phase loss.
LITE0_TAP = "b11.expand"
#: Lite0's rescaling, chosen as the paper intends: feature MSE * c^2 = pixel MSE for srresnet_x4's output on
#: the eight scikit-image photos (centre 192 px crops: 0.201; see :func:`calibrate_rescale` and chapter 6).
LITE0_RESCALE = 0.2
#: ``lite0_norm``: the first map after an activation at each of the strides 2, 4, 8 and 16 (b11.expand is
#: LITE0_TAP). Shallow maps see a 4-pixel grid that the stride-16 map alone lets training build (chapter 6, the
#: model card of srgan_x4); none is a tap of :data:`srgan_lite.perceptual.DISTANCE_TAPS`.
LITE0_NORM_TAPS = ("b1.expand", "b3.expand", "b5.expand", "b11.expand")
#: ``lite0_norm``'s rescaling, chosen as for LITE0_RESCALE: c^2 x distance = pixel MSE for srresnet_x4's output
#: on the eight scikit-image photos (see :func:`calibrate_rescale`).
LITE0_NORM_RESCALE = 0.1
#: The paper's adversarial weight in Eq. (3).
ADVERSARIAL_WEIGHT = 1e-3


def pixel_mse(sr: Tensor, hr: Tensor) -> Tensor:
    """Eq. (4): mean squared error over all pixels (both in [-1, 1])."""
    return F.mse_loss(sr, hr)


def subpixel_phase_pattern(x: Tensor, scale: int = 4, window: int = 0) -> Tensor:
    """The sub-pixel phase pattern of ``x`` per ``window`` x ``window`` tile: (N, C, tiles_y, scale, tiles_x, scale).

    Pixel (y, x) belongs to phase (y mod scale, x mod scale); the pattern is the tile's mean at each phase
    minus the tile's mean. Its energy is the tile's power at the frequencies (k/scale, l/scale) cycles per
    pixel, where a PixelShuffle grid puts its spikes. ``window=0`` takes the whole image (cropped to a
    multiple of ``scale``) as one tile.
    """
    n, c, h, w = x.shape
    size = window or min(h - h % scale, w - w % scale)
    if size % scale:
        raise ConfigError(f"subpixel_phase_loss: window={window} must be a multiple of scale={scale}")
    h, w = h - h % size, w - w % size
    cells = x[..., :h, :w].reshape(n, c, h // size, size // scale, scale, w // size, size // scale, scale)
    phases = cells.mean((3, 6))
    return phases - phases.mean((3, 5), keepdim=True)


def subpixel_phase_loss(sr: Tensor, hr: Tensor, scale: int = 4, window: int = 0) -> Tensor:
    """MSE between the sub-pixel phase patterns of SR and HR (:func:`subpixel_phase_pattern`): the "grid" a
    x``scale`` generator can add.

    Texture has no fixed phase, so this term removes a lattice-locked pattern and nothing else. With ``window``
    (a multiple of ``scale``) the patterns are compared per tile, so a grid that appears only in some regions
    (where G sharpens texture) counts too; 0 = the whole crop. Not in the paper; see the model card of
    ``srgan_x4`` for why it is needed.
    """
    return F.mse_loss(subpixel_phase_pattern(sr, scale, window), subpixel_phase_pattern(hr, scale, window))


def without_phase_pattern(x: Tensor, scale: int = 4, window: int = 16) -> Tensor:
    """``x`` minus its tiled sub-pixel phase pattern: what a feature loss sees with ``loss.phase_free_content``.

    A feature network that cannot see the lattice-locked part of an image cannot reward a grid there; that
    part is left to the pixel and phase losses. Pixels beyond the last whole tile are left as they are.
    """
    n, c, h, w = x.shape
    pattern = subpixel_phase_pattern(x, scale, window)               # (n, c, ty, s, tx, s)
    ty, tx, reps = pattern.shape[2], pattern.shape[4], window // scale
    tiled = pattern[:, :, :, None, :, :, None, :].expand(n, c, ty, reps, scale, tx, reps, scale)
    out = x.clone()
    out[..., : ty * window, : tx * window] -= tiled.reshape(n, c, ty * window, tx * window)
    return out


class FeatureContentLoss(nn.Module):
    """Eq. (5) on any frozen feature network: MSE between ``rescale`` * phi(HR) and ``rescale`` * phi(G(LR)).

    Args:
        features: a module returning ``{tap: feature map}`` for images in [-1, 1].
        tap: which map.
        rescale: multiplies both maps before the MSE (the paper's 1/12.75 for VGG).
    """

    def __init__(self, features: nn.Module, tap: str, rescale: float) -> None:
        super().__init__()
        self.features, self.tap, self.rescale = features, tap, rescale

    def forward(self, sr: Tensor, hr: Tensor) -> Tensor:
        sr_features = self.features(sr)[self.tap]
        with torch.no_grad():
            hr_features = self.features(hr)[self.tap]
        return F.mse_loss(sr_features.float() * self.rescale, hr_features.float() * self.rescale)


def normalized_feature_distance(sr_maps: dict[str, Tensor], hr_maps: dict[str, Tensor], taps: tuple[str, ...]) -> Tensor:
    """LPIPS-style distance (Zhang et al. 2018) with equal weights, one value per image.

    Each feature vector (the channels at one position) is scaled to unit length, so the distance compares
    what the maps respond to, not how strongly; squared differences are summed over channels, averaged
    over positions and summed over the taps.
    """
    total = 0
    for tap in taps:
        a = F.normalize(sr_maps[tap], dim=1, eps=1e-10)
        b = F.normalize(hr_maps[tap], dim=1, eps=1e-10)
        total = total + (a - b).pow(2).sum(1).mean((1, 2))
    return total


class NormalizedFeatureLoss(nn.Module):
    """Content loss on unit-normalised feature vectors at several taps (``lite0_norm``): rescale^2 x the
    batch mean of :func:`normalized_feature_distance`. Not in the paper, which compares raw VGG maps at one
    tap (Eq. 5); LPIPS (Zhang et al. 2018) normalises the same way, and the shallow taps penalise a
    PixelShuffle grid that a single deep tap does not.
    """

    def __init__(self, features: nn.Module, taps: tuple[str, ...], rescale: float) -> None:
        super().__init__()
        self.features, self.taps, self.rescale = features, taps, rescale

    def forward(self, sr: Tensor, hr: Tensor) -> Tensor:
        sr_maps = {t: m.float() for t, m in self.features(sr).items()}
        with torch.no_grad():
            hr_maps = {t: m.float() for t, m in self.features(hr).items()}
        return self.rescale ** 2 * normalized_feature_distance(sr_maps, hr_maps, self.taps).mean()


class VGGContentLoss(FeatureContentLoss):
    """Eq. (5): MSE between rescaled VGG19 feature maps phi_{i,j}(I^HR) and phi_{i,j}(G(I^LR)).

    Args:
        layer: ``"vgg22"`` (phi_{2,2}), ``"vgg54"`` (phi_{5,4}) or any name in ``vgg.VGG19_LAYERS``.
        weights: VGG19 weights, see :class:`srgan_lite.vgg.VGGFeatures`.
        rescale: multiplies both feature maps before the MSE (the paper's 1/12.75).
        allow_random_fallback: see :class:`srgan_lite.vgg.VGGFeatures`.
    """

    def __init__(self, layer: str = "vgg54", *, weights: WeightsSpec = "imagenet", rescale: float = VGG_RESCALE,
                 allow_random_fallback: bool = False) -> None:
        layer = PAPER_TAPS.get(layer, layer)
        super().__init__(VGGFeatures((layer,), weights=weights, allow_random_fallback=allow_random_fallback), layer, rescale)
        self.layer = layer

    @property
    def vgg(self) -> VGGFeatures:
        return self.features


def content_loss(name: str, *, rescale: float | None = None, vgg_weights: WeightsSpec = "imagenet",
                 allow_random_fallback: bool = False) -> nn.Module | None:
    """The content term l^SR_X by name: None for ``mse`` (use :func:`pixel_mse`), else a feature loss.

    ``rescale=None`` takes the network's constant (:data:`VGG_RESCALE`, :data:`LITE0_RESCALE`).
    VGG19 weights that cannot be loaded raise :class:`srgan_lite.errors.WeightsError` naming the file to
    provide; the loss never switches network silently.
    """
    if name not in CONTENT_LOSSES:
        raise ConfigError(f"content loss {name!r} is unknown: use {', '.join(map(repr, CONTENT_LOSSES))}")
    if name == "mse":
        return None
    if name == "lite0":
        from .efficientnet import EfficientNetLite0

        return FeatureContentLoss(EfficientNetLite0((LITE0_TAP,)), LITE0_TAP, LITE0_RESCALE if rescale is None else rescale)
    if name == "lite0_norm":
        from .efficientnet import EfficientNetLite0

        return NormalizedFeatureLoss(EfficientNetLite0(LITE0_NORM_TAPS), LITE0_NORM_TAPS,
                                     LITE0_NORM_RESCALE if rescale is None else rescale)
    return VGGContentLoss(name, weights=vgg_weights, rescale=VGG_RESCALE if rescale is None else rescale,
                          allow_random_fallback=allow_random_fallback)


@torch.no_grad()
def calibrate_rescale(loss: FeatureContentLoss | VGGContentLoss, sr: Tensor, hr: Tensor) -> float:
    """The rescaling c that puts a feature loss on the scale of the MSE loss, as the paper intends.

    Returns ``c = sqrt(pixel_mse(sr, hr) / feature_mse(sr, hr))`` for images in [-1, 1]: with it, the
    content loss of these SR images equals their pixel MSE (the paper's 1/12.75 did this for its VGG on
    0-255 input; torchvision's VGG and Lite0 see ImageNet-normalised input, so they need their own c).
    """
    saved, loss.rescale = loss.rescale, 1.0
    try:
        feature = float(loss(sr, hr))
    finally:
        loss.rescale = saved
    return (float(pixel_mse(sr, hr)) / feature) ** 0.5


def generator_adversarial_loss(fake_logits: Tensor, *, saturating: bool = False) -> Tensor:
    """Eq. (6): l_Gen = -log D(G(I^LR)), averaged over the batch (non-saturating form).

    With ``saturating=True`` it is the original minimax form log(1 - D(G(I^LR))), whose gradient
    vanishes when D confidently rejects the fakes, which is why the paper (after Goodfellow et al.)
    minimises -log D instead.
    """
    if saturating:
        return -F.softplus(fake_logits).mean()  # log(1 - sigmoid(l)) = -softplus(l)
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


def discriminator_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """D's side of Eq. (2): -log D(I^HR) - log(1 - D(G(I^LR))), each averaged over the batch."""
    real = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
    fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return real + fake


class PerceptualLoss(nn.Module):
    """Eq. (3): l^SR = content_weight * l^SR_X + adversarial_weight * l^SR_Gen (+ optional terms, not in the paper).

    Args:
        content: ``"mse"`` (SRResNet, SRGAN-MSE), ``"vgg22"``/``"vgg54"`` (SRGAN-VGG22/54) or ``"lite0"``.
        adversarial_weight: weight of Eq. (6) (paper: 10^-3).
        content_weight: weight of the content term (paper: 1).
        pixel_weight: an extra pixel-MSE term beside a feature content loss (paper: 0; ESRGAN uses one).
        phase_weight: weight of :func:`subpixel_phase_loss` (paper: 0).
        phase_window: its tile size in HR pixels (0 = the whole crop).
        phase_free_content: compute the feature content loss on :func:`without_phase_pattern` of SR and HR
            (tiles of ``phase_window``, else 16 px), so it neither rewards nor penalises a grid (not in the paper).
        rescale, vgg_weights, allow_random_fallback: see :func:`content_loss`.
    """

    def __init__(
        self,
        content: str = "vgg54",
        *,
        adversarial_weight: float = ADVERSARIAL_WEIGHT,
        content_weight: float = 1.0,
        pixel_weight: float = 0.0,
        phase_weight: float = 0.0,
        phase_window: int = 0,
        phase_free_content: bool = False,
        rescale: float | None = None,
        vgg_weights: WeightsSpec = "imagenet",
        allow_random_fallback: bool = False,
    ) -> None:
        super().__init__()
        self.content_name = content
        self.content = content_loss(content, rescale=rescale, vgg_weights=vgg_weights, allow_random_fallback=allow_random_fallback)
        self.adversarial_weight, self.content_weight, self.pixel_weight = adversarial_weight, content_weight, pixel_weight
        self.phase_weight, self.phase_window, self.phase_free_content = phase_weight, phase_window, phase_free_content

    def content_term(self, sr: Tensor, hr: Tensor) -> Tensor:
        """l^SR_X: the pixel MSE (``mse``) or the feature loss, on phase-free images if ``phase_free_content``."""
        if self.content is None:
            return pixel_mse(sr, hr)
        if self.phase_free_content:
            window = self.phase_window or 16
            return self.content(without_phase_pattern(sr, window=window), without_phase_pattern(hr, window=window))
        return self.content(sr, hr)

    def forward(self, sr: Tensor, hr: Tensor, fake_logits: Tensor | None = None,
                adversarial_weight: float | None = None) -> tuple[Tensor, dict[str, Tensor]]:
        """The total loss and its parts (detached); without ``fake_logits`` only the content terms (SRResNet)."""
        content = self.content_term(sr, hr)
        total = self.content_weight * content
        parts = {"content": content.detach()}
        if self.pixel_weight and self.content is not None:
            pixel = pixel_mse(sr, hr)
            total = total + self.pixel_weight * pixel
            parts["pixel"] = pixel.detach()
        if self.phase_weight:
            phase = subpixel_phase_loss(sr, hr, window=self.phase_window)
            total = total + self.phase_weight * phase
            parts["phase"] = phase.detach()
        if fake_logits is not None:
            adversarial = generator_adversarial_loss(fake_logits)
            weight = self.adversarial_weight if adversarial_weight is None else adversarial_weight
            total = total + weight * adversarial
            parts["adversarial"] = adversarial.detach()
        return total, parts
