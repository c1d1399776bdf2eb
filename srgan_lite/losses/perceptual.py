"""Eq. (3), the perceptual loss: content loss + 10^-3 adversarial loss (+ the optional terms this project adds)."""
from __future__ import annotations

from torch import Tensor, nn

from ..errors import ConfigError
from .adversarial import ADVERSARIAL_WEIGHT, GAN_LOSSES
from .artifact import artifact_loss
from .content import content_loss, pixel_mse
from .phase import subpixel_phase_loss
from .vgg import WeightsSpec


class PerceptualLoss(nn.Module):
    """Eq. (3): l^SR = content_weight * l^SR_X + adversarial_weight * l^SR_Gen (+ optional terms, not in the paper).

    Args:
        content: ``"mse"`` (SRResNet, SRGAN-MSE), ``"vgg22"``/``"vgg54"`` (SRGAN-VGG22/54) or ``"lite0_norm"``.
        adversarial_weight: weight of l^SR_Gen (paper: 10^-3).
        content_weight: weight of the content term (paper: 1).
        pixel_weight: an extra pixel-MSE term beside a feature content loss (paper: 0; ESRGAN uses one).
        phase_weight: weight of :func:`subpixel_phase_loss` (paper: 0).
        artifact_weight: weight of LDL's :func:`artifact_loss` (paper: 0; Liang et al. 2022: 1), which needs
            ``reference``, the EMA generator's output, in :meth:`forward`.
        scale: the generator's upscaling factor, the period of the grid the phase loss measures (needed when
            ``phase_weight`` is set).
        gan_type: l^SR_Gen from :data:`srgan_lite.losses.adversarial.GAN_LOSSES`: ``"vanilla"`` (Eq. 6) or
            ``"relativistic"`` (ESRGAN's RaGAN, which also needs D's logits of the real images).
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
        artifact_weight: float = 0.0,
        scale: int | None = None,
        gan_type: str = "vanilla",
        rescale: float | None = None,
        vgg_weights: WeightsSpec = "imagenet",
        allow_random_fallback: bool = False,
    ) -> None:
        super().__init__()
        if phase_weight and scale is None:
            raise ConfigError("PerceptualLoss: phase_weight needs the generator's scale (scale=4 for x4)")
        if gan_type not in GAN_LOSSES:
            raise ConfigError(f"gan_type {gan_type!r} is unknown: use {', '.join(map(repr, GAN_LOSSES))}")
        self.content_name = content
        self.content = content_loss(content, rescale=rescale, vgg_weights=vgg_weights, allow_random_fallback=allow_random_fallback)
        self.adversarial_weight, self.content_weight, self.pixel_weight = adversarial_weight, content_weight, pixel_weight
        self.phase_weight, self.scale, self.gan = phase_weight, scale, GAN_LOSSES[gan_type]
        self.artifact_weight = artifact_weight

    def forward(self, sr: Tensor, hr: Tensor, fake_logits: Tensor | None = None,
                real_logits: Tensor | None = None, reference: Tensor | None = None) -> tuple[Tensor, dict[str, Tensor]]:
        """The total loss and its parts (detached); without ``fake_logits`` only the content terms (SRResNet).

        ``real_logits`` (D's logits of ``hr``) only for a ``gan_type`` whose G term compares with them;
        ``reference`` (the EMA generator's output for the same crops) only with ``artifact_weight``.
        """
        content = pixel_mse(sr, hr) if self.content is None else self.content(sr, hr)
        total = self.content_weight * content
        parts = {"content": content.detach()}
        if self.pixel_weight and self.content is not None:
            pixel = pixel_mse(sr, hr)
            total = total + self.pixel_weight * pixel
            parts["pixel"] = pixel.detach()
        if self.phase_weight:
            phase = subpixel_phase_loss(sr, hr, self.scale)
            total = total + self.phase_weight * phase
            parts["phase"] = phase.detach()
        if self.artifact_weight:
            if reference is None:
                raise ValueError("artifact_weight needs reference, the EMA generator's output for the same crops")
            artifact = artifact_loss(sr, hr, reference)
            total = total + self.artifact_weight * artifact
            parts["artifact"] = artifact.detach()
        if fake_logits is not None:
            if self.gan.uses_real_logits and real_logits is None:
                raise ValueError("this gan_type's generator term needs real_logits, D's logits of the HR images")
            adversarial = self.gan.generator(real_logits, fake_logits)
            total = total + self.adversarial_weight * adversarial
            parts["adversarial"] = adversarial.detach()
        return total, parts
