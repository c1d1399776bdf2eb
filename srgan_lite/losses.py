"""The paper's losses (Ledig et al. 2017, Sec. 2.2): Eqs. (3)-(6) and the discriminator's side of Eq. (2).

* pixel-wise MSE, Eq. (4): the SRResNet objective and the "MSE" content loss of SRGAN-MSE;
* VGG content loss, Eq. (5): MSE between VGG19 feature maps phi_{i,j}, with the paper's 1/12.75
  rescaling of the feature maps ("equivalent to multiplying Eq. (5) with ... approximately 0.006");
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

#: The paper's feature-map rescaling: phi / 12.75 brings VGG losses to the scale of the MSE loss.
VGG_RESCALE = 1.0 / 12.75
#: The paper's adversarial weight in Eq. (3).
ADVERSARIAL_WEIGHT = 1e-3


def pixel_mse(sr: Tensor, hr: Tensor) -> Tensor:
    """Eq. (4): mean squared error over all pixels (both in [-1, 1])."""
    return F.mse_loss(sr, hr)


class VGGContentLoss(nn.Module):
    """Eq. (5): MSE between rescaled VGG19 feature maps phi_{i,j}(I^HR) and phi_{i,j}(G(I^LR)).

    Args:
        layer: ``"vgg22"`` (phi_{2,2}), ``"vgg54"`` (phi_{5,4}) or any name in ``vgg.VGG19_LAYERS``.
        weights: VGG19 weights, see :class:`srgan_lite.vgg.VGGFeatures`.
        rescale: multiplies both feature maps before the MSE (the paper's 1/12.75).
        allow_random_fallback: see :class:`srgan_lite.vgg.VGGFeatures`.
    """

    def __init__(
        self,
        layer: str = "vgg54",
        *,
        weights: WeightsSpec = "imagenet",
        rescale: float = VGG_RESCALE,
        allow_random_fallback: bool = False,
    ) -> None:
        super().__init__()
        self.layer = PAPER_TAPS.get(layer, layer)
        self.vgg = VGGFeatures((self.layer,), weights=weights, allow_random_fallback=allow_random_fallback)
        self.rescale = rescale

    def forward(self, sr: Tensor, hr: Tensor) -> Tensor:
        sr_features = self.vgg(sr)[self.layer]
        with torch.no_grad():
            hr_features = self.vgg(hr)[self.layer]
        return F.mse_loss(sr_features * self.rescale, hr_features * self.rescale)


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
    """Eq. (3): l^SR = l^SR_X + adversarial_weight * l^SR_Gen.

    Args:
        content: ``"mse"`` (SRGAN-MSE), ``"vgg22"`` or ``"vgg54"`` (SRGAN-VGG22/54).
        adversarial_weight: weight of Eq. (6) (paper: 10^-3).
        content_weight: weight of the content term (paper: 1).
        vgg_weights, allow_random_fallback: passed to :class:`VGGContentLoss`.
    """

    def __init__(
        self,
        content: str = "vgg54",
        *,
        adversarial_weight: float = ADVERSARIAL_WEIGHT,
        content_weight: float = 1.0,
        vgg_weights: WeightsSpec = "imagenet",
        allow_random_fallback: bool = False,
    ) -> None:
        super().__init__()
        if content not in ("mse", "vgg22", "vgg54"):
            raise ConfigError(f"content loss {content!r} is unknown: use 'mse', 'vgg22' or 'vgg54'")
        self.content_name = content
        self.content = (
            None if content == "mse"
            else VGGContentLoss(content, weights=vgg_weights, allow_random_fallback=allow_random_fallback)
        )
        self.adversarial_weight = adversarial_weight
        self.content_weight = content_weight

    def forward(self, sr: Tensor, hr: Tensor, fake_logits: Tensor) -> tuple[Tensor, dict[str, float]]:
        """Returns the total loss and its parts (detached, for logging)."""
        content = pixel_mse(sr, hr) if self.content is None else self.content(sr, hr)
        adversarial = generator_adversarial_loss(fake_logits)
        total = self.content_weight * content + self.adversarial_weight * adversarial
        return total, {"content": content.detach(), "adversarial": adversarial.detach()}
