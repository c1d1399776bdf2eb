"""What one training step computes (Ledig et al. 2017, Sec. 2.2 and 3.2), apart from when it runs.

:class:`SRResNetObjective`: G minimises the content loss (Eq. 4, the pixel MSE, or a feature loss, Table 1).
:class:`SRGANObjective`: G minimises the perceptual loss of Eq. (3) while D only *scores* the fakes (its
parameters frozen), then D minimises its loss (Eq. 2) on real HR crops and G's *detached* fakes, so no
gradient reaches G. The adversarial pair is chosen by name (``loss.gan_type``) from
:data:`srgan_lite.losses.adversarial.GAN_LOSSES`: a new game is one entry there, not an edit here.

G's step returns a :class:`GeneratorStep` that holds what D's step needs (the fakes and the HR crops they are
compared with); the loop (:class:`srgan_lite.training.loop.Trainer`) hands it over, so nothing is carried
between calls. Each step is one update: zero the gradients, backpropagate, clip (``optim.grad_clip``), Adam.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torch.optim import Optimizer

from ..losses.perceptual import PerceptualLoss
from .config import TrainConfig
from .distributed import Dist


@dataclass
class GeneratorStep:
    """What G's step hands on: its statistics (detached) and, for D's step, the fakes (detached) and the HR
    crops they imitate (the same jitter windows)."""

    stats: dict[str, Tensor]
    sr: Tensor
    hr: Tensor


def update(optimizer: Optimizer, loss: Tensor, grad_clip: float) -> None:
    """One optimiser step on ``loss``: fresh gradients, their norm clipped to ``grad_clip`` if set (0 = off)."""
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if grad_clip:
        nn.utils.clip_grad_norm_([p for group in optimizer.param_groups for p in group["params"]], grad_clip)
    optimizer.step()


def jitter_windows(sr: Tensor, hr: Tensor, config: TrainConfig, info: Dist) -> tuple[Tensor, Tensor]:
    """A ``patch_size`` window of each (patch + ``data.shift_jitter``) crop, at the same offset in SR and HR.

    Offsets differ per sample and cover the ``scale`` x ``scale`` sub-pixel phases evenly across the
    batch, so the periodic (checkerboard) part of the gradients that D's and the feature network's
    strided convolutions send back (Odena et al. 2016) lands on every phase of G's sub-pixel grid
    equally often in one step, and cancels instead of building up a grid. The offsets are drawn (from the
    global torch generator) for the global batch, every process draws the same, and each cuts its slice, as
    one process would. Not in the paper, whose crops are a fixed 96x96.
    """
    extra, size, scale = config.data.shift_jitter, config.data.patch_size, config.model.scale
    if not extra:
        return sr, hr
    n = sr.shape[0]
    total = n * info.world_size
    phases = torch.randperm(scale * scale)[torch.arange(total) % (scale * scale)]
    coarse = torch.randint(extra // scale, (2, total)) * scale
    mine = slice(info.rank * n, (info.rank + 1) * n)
    tops, lefts = (phases // scale + coarse[0])[mine].tolist(), (phases % scale + coarse[1])[mine].tolist()
    cut = lambda x: torch.cat([x[i:i + 1, :, t:t + size, l:l + size] for i, (t, l) in enumerate(zip(tops, lefts))])  # noqa: E731
    return cut(sr), cut(hr)


class SRResNetObjective:
    """G alone, on the content loss (SRResNet: Eq. 4; Table 1's SRResNet-VGG22 with ``loss.content=vgg22``).

    Args:
        loss: the perceptual loss, of which this stage uses the content terms.
        generator: what the step calls (G, or G inside DDP / ``torch.compile``).
        opt_g: G's Adam.
        device, amp: bf16 autocast on ``device`` when ``amp``; the losses are computed in fp32.
        grad_clip: ``optim.grad_clip`` (0 = off; the paper does not clip).
    """

    def __init__(self, loss: PerceptualLoss, generator: nn.Module, opt_g: Optimizer, *, device: torch.device,
                 amp: bool, grad_clip: float) -> None:
        self.loss, self.generator, self.opt_g = loss, generator, opt_g
        self.device, self.amp, self.grad_clip = device, amp, grad_clip

    def autocast(self) -> torch.autocast:
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.amp)

    def generator_step(self, lr_image: Tensor, hr_image: Tensor) -> GeneratorStep:
        """One update of G on the content loss; returns ``loss_g`` and its parts."""
        with self.autocast():
            sr_image = self.generator(lr_image)
            loss, parts = self.loss(sr_image.float(), hr_image)
        update(self.opt_g, loss, self.grad_clip)
        return GeneratorStep({"loss_g": loss.detach(), **parts}, sr_image.detach(), hr_image)


class SRGANObjective(SRResNetObjective):
    """G against D: G's step on Eq. (3), D's step on Eq. (2) (or the ``loss.gan_type`` chosen instead).

    Args:
        config, info: ``data.shift_jitter`` windows (:func:`jitter_windows`) for this process's slice.
        discriminator: the plain D, which scores the fakes in G's step (frozen there, so its gradients are
            neither computed nor synchronised across processes).
        discriminator_ddp: what D's step calls (D, or D inside DDP).
        opt_d: D's Adam (``optim.lr_d`` or ``optim.lr``).
        reference: the EMA of G (``run.ema_decay``), whose output LDL's artifact penalty compares with
            (``loss.artifact_weight``); None when that term is off.
        loss, generator, opt_g, device, amp, grad_clip: as for :class:`SRResNetObjective`.
    """

    def __init__(self, config: TrainConfig, info: Dist, loss: PerceptualLoss, generator: nn.Module, opt_g: Optimizer,
                 *, discriminator: nn.Module, discriminator_ddp: nn.Module, opt_d: Optimizer, device: torch.device,
                 amp: bool, grad_clip: float, reference: nn.Module | None = None) -> None:
        super().__init__(loss, generator, opt_g, device=device, amp=amp, grad_clip=grad_clip)
        self.config, self.info, self.opt_d = config, info, opt_d
        self.discriminator, self.discriminator_ddp, self.reference = discriminator, discriminator_ddp, reference

    @torch.no_grad()
    def reference_output(self, lr_image: Tensor) -> Tensor:
        """The EMA generator's SR image of ``lr_image``, in eval mode (BatchNorm on its averaged running statistics)."""
        training = self.reference.training
        self.reference.eval()
        try:
            return self.reference(lr_image)
        finally:
            self.reference.train(training)

    def generator_step(self, lr_image: Tensor, hr_image: Tensor) -> GeneratorStep:
        """One update of G on Eq. (3): content + ``adversarial_weight`` * l_Gen, D's parameters frozen."""
        with self.autocast():
            sr_image = self.generator(lr_image)
            reference = None
            if self.reference is not None:  # cut with SR in one call, so both get the same windows
                both, hr_image = jitter_windows(torch.cat([sr_image, self.reference_output(lr_image)], 1), hr_image,
                                                self.config, self.info)
                sr_image, reference = both.float().split(hr_image.shape[1], 1)
            else:
                sr_image, hr_image = jitter_windows(sr_image, hr_image, self.config, self.info)
            self.discriminator.requires_grad_(False)  # the plain D: G's step never synchronises D's gradients
            fake_logits = self.discriminator(sr_image).float()
            real_logits = self.discriminator(hr_image).float() if self.loss.gan.uses_real_logits else None
            loss, parts = self.loss(sr_image.float(), hr_image, fake_logits, real_logits, reference)
            self.discriminator.requires_grad_(True)
        update(self.opt_g, loss, self.grad_clip)
        return GeneratorStep({"loss_g": loss.detach(), **parts}, sr_image.detach(), hr_image)

    def discriminator_step(self, g_step: GeneratorStep) -> dict[str, Tensor]:
        """One update of D on the real HR crops and the detached fakes of ``g_step`` (the same windows): Eq. (2)."""
        with self.autocast():
            real_logits = self.discriminator_ddp(g_step.hr).float()
            fake_logits = self.discriminator_ddp(g_step.sr).float()
            loss = self.loss.gan.discriminator(real_logits, fake_logits)
        update(self.opt_d, loss, self.grad_clip)
        return {"loss_d": loss.detach(), "d_real": torch.sigmoid(real_logits).mean().detach(),
                "d_fake": torch.sigmoid(fake_logits).mean().detach()}
