"""The paper's losses (Ledig et al. 2017, Sec. 2.2): Eqs. (3)-(6) and the discriminator's side of Eq. (2).

* pixel-wise MSE, Eq. (4): the SRResNet objective and the "MSE" content loss of SRGAN-MSE;
* VGG content loss, Eq. (5): MSE between VGG19 feature maps phi_{i,j}, with the paper's 1/12.75
  rescaling of the feature maps ("equivalent to multiplying Eq. (5) with ... approximately 0.006");
* an LPIPS-style distance on EfficientNet-Lite0 features (``lite0_norm``), an ImageNet network whose weights
  install offline, for everyone without a VGG19 file (:mod:`srgan_lite.losses.efficientnet`);
* adversarial loss, Eq. (6): -log D(G(I^LR)) for the generator (non-saturating);
* the perceptual loss, Eq. (3): l^SR = l^SR_X + 10^-3 l^SR_Gen.

Discriminator outputs are logits; sigmoids live in ``binary_cross_entropy_with_logits``.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..errors import ConfigError
from .vgg import PAPER_TAPS, VGGFeatures, WeightsSpec

#: Content losses: the paper's three (Table 1) and the offline EfficientNet-Lite0 one.
CONTENT_LOSSES = ("mse", "vgg22", "vgg54", "lite0_norm")
#: The paper's feature-map rescaling: phi / 12.75 brings VGG losses "to a scale comparable to the MSE loss".
VGG_RESCALE = 1.0 / 12.75
#: The Lite0 tap that plays phi_{5,4}'s role: the deepest stride-16 map after an activation. Chapter 6 keeps the
#: experiment: it tells a blurred image from a 1-pixel shift of the original (6.7x farther), and on the scikit-image
#: photos it does not *reward* a faint 4-pixel grid added to an SR image (+0.8 %); on Set14 every stride-8/16 map
#: does, this one least (-0.5 %), which is why a single tap is not enough and training needs the phase loss.
LITE0_TAP = "b11.expand"
#: ``lite0_norm``: the first map after an activation at each of the strides 2, 4, 8 and 16 (the last is
#: LITE0_TAP). Shallow maps see a 4-pixel grid that the stride-16 map alone lets training build (chapter 6, the
#: model card of srgan_x4, section Earlier versions); none is a tap of
#: :data:`srgan_lite.evaluation.perceptual.DISTANCE_TAPS`.
LITE0_NORM_TAPS = ("b1.expand", "b3.expand", "b5.expand", LITE0_TAP)
#: ``lite0_norm``'s rescaling, chosen as the paper intends: c^2 x distance = pixel MSE for srresnet_x4's output
#: on the eight scikit-image photos (centre 192 px crops; see :func:`calibrate_rescale` and chapter 6).
LITE0_NORM_RESCALE = 0.1


def pixel_mse(sr: Tensor, hr: Tensor) -> Tensor:
    """Eq. (4): mean squared error over all pixels (both in [-1, 1])."""
    return F.mse_loss(sr, hr)


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
        weights: VGG19 weights, see :class:`srgan_lite.losses.vgg.VGGFeatures`.
        rescale: multiplies both feature maps before the MSE (the paper's 1/12.75).
        allow_random_fallback: see :class:`srgan_lite.losses.vgg.VGGFeatures`.
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

    ``rescale=None`` takes the network's constant (:data:`VGG_RESCALE`, :data:`LITE0_NORM_RESCALE`).
    VGG19 weights that cannot be loaded raise :class:`srgan_lite.errors.WeightsError` naming the file to
    provide; the loss never switches network silently.
    """
    if name not in CONTENT_LOSSES:
        raise ConfigError(f"content loss {name!r} is unknown: use {', '.join(map(repr, CONTENT_LOSSES))}")
    if name == "mse":
        return None
    if name == "lite0_norm":
        from .efficientnet import EfficientNetLite0

        return NormalizedFeatureLoss(EfficientNetLite0(LITE0_NORM_TAPS), LITE0_NORM_TAPS,
                                     LITE0_NORM_RESCALE if rescale is None else rescale)
    return VGGContentLoss(name, weights=vgg_weights, rescale=VGG_RESCALE if rescale is None else rescale,
                          allow_random_fallback=allow_random_fallback)


@torch.no_grad()
def calibrate_rescale(loss: FeatureContentLoss | NormalizedFeatureLoss, sr: Tensor, hr: Tensor) -> float:
    """The rescaling c that puts a feature loss on the scale of the MSE loss, as the paper intends.

    Returns ``c = sqrt(pixel_mse(sr, hr) / feature_mse(sr, hr))`` for images in [-1, 1]: with it, the
    content loss of these SR images equals their pixel MSE (the paper's 1/12.75 did this for its VGG on
    0-255 input; torchvision's VGG and Lite0 see ImageNet-normalised input, so they need their own c). For
    :class:`NormalizedFeatureLoss` (``lite0_norm``) the rescaled value is c^2 x the distance.
    """
    saved, loss.rescale = loss.rescale, 1.0
    try:
        feature = float(loss(sr, hr))
    finally:
        loss.rescale = saved
    return (float(pixel_mse(sr, hr)) / feature) ** 0.5


