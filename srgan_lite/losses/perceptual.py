"""Eq. (3), the perceptual loss: content loss + 10^-3 adversarial loss (+ the optional terms this project adds)."""
from __future__ import annotations

from torch import Tensor, nn

from .adversarial import ADVERSARIAL_WEIGHT, generator_adversarial_loss
from .content import content_loss, pixel_mse
from .phase import subpixel_phase_loss, without_phase_pattern
from .vgg import WeightsSpec


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
