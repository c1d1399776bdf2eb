"""The adversarial losses: the paper's Eq. (2) and (6), and ESRGAN's relativistic average variant.

* Eq. (6), the generator's side: -log D(G(I^LR)) (non-saturating; the paper's choice over log(1 - D));
* Eq. (2), the discriminator's side: binary cross-entropy on real HR (label 1) and fakes (label 0);
* ESRGAN (Wang et al. 2018, Sec. 3.2, after Jolicoeur-Martineau, ICLR 2019): the relativistic average
  discriminator, which asks whether a real image is *more* realistic than the fakes on average.

:data:`GAN_LOSSES` names each pair (G's term, D's loss); training picks one with ``loss.gan_type``.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

#: The paper's adversarial weight in Eq. (3).
ADVERSARIAL_WEIGHT = 1e-3


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


@dataclass(frozen=True)
class GANLoss:
    """One adversarial game: G's term l_Gen of Eq. (3) and D's loss, both on D's logits.

    Attributes:
        generator: ``(real_logits, fake_logits) -> l_Gen``; ``real_logits`` is None unless ``uses_real_logits``.
        discriminator: ``(real_logits, fake_logits) -> D's loss``.
        uses_real_logits: G's term needs D's logits of the real HR crops too (RaGAN), so G's step scores them.
    """

    generator: Callable[[Tensor | None, Tensor], Tensor]
    discriminator: Callable[[Tensor, Tensor], Tensor]
    uses_real_logits: bool


#: ``loss.gan_type`` -> the adversarial game: the paper's Eq. (2)/(6) (``vanilla``) or ESRGAN's RaGAN.
GAN_LOSSES: dict[str, GANLoss] = {
    "vanilla": GANLoss(lambda real, fake: generator_adversarial_loss(fake), discriminator_loss, uses_real_logits=False),
    "relativistic": GANLoss(relativistic_generator_loss, relativistic_discriminator_loss, uses_real_logits=True),
}
