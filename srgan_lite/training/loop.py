"""Training SRResNet (MSE) and SRGAN (perceptual loss) with one loop, on a CPU, a GPU or many GPUs.

The loop is the paper's (Sec. 3.2): per step, one generator update, then (SRGAN) one
discriminator update. During G's step D only *scores* the fakes (its parameters are frozen);
during D's step the fakes are detached so no gradient reaches G.

Work is never lost: checkpoints (models, optimizers, schedulers, step, RNG states, config) are
written atomically every ``run.ckpt_every`` steps; ``resume=True`` continues from the newest one
and, on a CPU with a fixed seed, reproduces the uninterrupted run's losses exactly, because the
data stream is a pure function of (seed, sample position), see :class:`PositionStream`.

This file is the loop; beside it, :mod:`.train_setup` builds what it runs (networks, loss, optimizers,
data), :mod:`.train_state` saves and resumes it, :mod:`.train_log` logs it.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader

from ..data.sampling import PositionStream, StepSampler  # noqa: F401  (re-exported: the book imports them from here)
from ..errors import TrainingDiverged
from .. import losses
from ..models.checkpoint import save_generator
from . import distributed as ddp
from . import setup
from . import state as train_state
from .config import TrainConfig
from .log import HISTORY_FIELDS, LossWindow, RunLog, save_sample_grid

__all__ = ["HISTORY_FIELDS", "PositionStream", "StepSampler", "TrainResult", "Trainer", "lr_factor", "train"]


@dataclass
class TrainResult:
    """What :func:`train` returns: the history rows, and where the run's files are."""

    history: list[dict[str, Any]]
    run_dir: Path
    generator_path: Path
    checkpoint_path: Path | None = None
    seconds: float = 0.0
    final: dict[str, Any] = field(default_factory=dict)


def lr_factor(config: TrainConfig, step: int) -> float:
    """The learning-rate multiplier after ``step`` steps (constant, step decay, or cosine)."""
    optim, total = config.optim, config.run.steps
    if optim.schedule == "step":
        return optim.gamma ** sum(step >= m for m in optim.milestones)
    if optim.schedule == "cosine":
        progress = min(step / max(total, 1), 1.0)
        return optim.min_lr_ratio + (1 - optim.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress))
    return 1.0


class Trainer:
    """One training run. Use :func:`train` unless you need to step it yourself (the book does).

    ``generator`` and ``discriminator`` are the plain networks (what is saved and validated);
    ``generator_ddp`` and ``discriminator_ddp`` are what the steps call: the same modules inside
    DistributedDataParallel when several processes train (and G inside ``torch.compile`` with
    ``run.compile``), the plain modules themselves otherwise.
    """

    def __init__(self, config: TrainConfig, run_dir: str | Path, *, resume: bool = False,
                 train_images: Any = None, val_images: Any = None) -> None:
        self.config, self.run_dir, self.gan = config, Path(run_dir), config.run.stage == "srgan"
        self.info, self.device = setup.start(config)
        self.amp, self.memory_format = setup.use_amp(config, self.device), setup.memory_format(config)
        self.generator, self.discriminator = setup.build_networks(config, self.info, self.device, resume=resume)
        self.perceptual = setup.build_loss(config, self.info, self.device)
        self.opt_g, self.sched_g, self.opt_d, self.sched_d = setup.build_optimizers(
            config, self.generator, self.discriminator, lr_factor)
        self.generator_ddp, self.discriminator_ddp = setup.wrap_networks(
            config, self.generator, self.discriminator, self.info, self.device)
        self.train_mode()
        self.step, self.history = train_state.resume(self) if resume else (0, [])
        images = train_images if train_images is not None else setup.training_images(config, self.info)
        self.dataset = PositionStream(setup.crop_dataset(config, images), config.run.seed)
        self.stream = setup.device_stream(config, self.dataset, self.device)  # None: the DataLoader cuts the crops
        self.val_images = val_images if val_images is not None else setup.validation_images(config, self.info)

    # ----------------------------------------------------------------------------- the two steps
    def generator_step(self, lr_image: Tensor, hr_image: Tensor) -> dict[str, Tensor]:
        """One update of G: the content loss (SRResNet) or the perceptual loss of Eq. (3) (SRGAN)."""
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.amp):
            sr_image = self.generator_ddp(lr_image)
            if not self.gan:
                loss, parts = self.perceptual(sr_image.float(), hr_image)
            else:
                sr_image, hr_image = self._jitter(sr_image, hr_image)
                self.discriminator.requires_grad_(False)  # the plain D: G's step never synchronises D's gradients
                fake_logits = self.discriminator(sr_image).float()
                loss, parts = self.perceptual(sr_image.float(), hr_image, fake_logits, self.adversarial_weight())
                self.discriminator.requires_grad_(True)
        self.opt_g.zero_grad(set_to_none=True)
        loss.backward()
        if self.config.optim.grad_clip:
            nn.utils.clip_grad_norm_(self.generator.parameters(), self.config.optim.grad_clip)
        self.opt_g.step()
        self.sched_g.step()
        self._sr, self._hr = sr_image.detach(), hr_image
        return {"loss_g": loss.detach(), **parts}

    def _jitter(self, sr: Tensor, hr: Tensor) -> tuple[Tensor, Tensor]:
        """A ``patch_size`` window of each (patch + shift_jitter) crop, at the same offset in SR and HR.

        Offsets differ per sample and cover the ``scale`` x ``scale`` sub-pixel phases evenly across the
        batch, so the periodic (checkerboard) part of the gradients that D's and the feature network's
        strided convolutions send back (Odena et al. 2016) lands on every phase of G's sub-pixel grid
        equally often in one step, and cancels instead of building up a grid. The offsets are drawn for
        the global batch (every process draws the same) and each process cuts its slice, as one process would.
        """
        extra, size, scale = self.config.data.shift_jitter, self.config.data.patch_size, self.config.model.scale
        if not extra:
            return sr, hr
        n, rank, total = sr.shape[0], self.info.rank, sr.shape[0] * self.info.world_size
        phases = torch.randperm(scale * scale)[torch.arange(total) % (scale * scale)]
        coarse = torch.randint(extra // scale, (2, total)) * scale
        mine = slice(rank * n, (rank + 1) * n)
        tops, lefts = (phases // scale + coarse[0])[mine].tolist(), (phases % scale + coarse[1])[mine].tolist()
        cut = lambda x: torch.cat([x[i:i + 1, :, t:t + size, l:l + size] for i, (t, l) in enumerate(zip(tops, lefts))])  # noqa: E731
        return cut(sr), cut(hr)

    def adversarial_weight(self) -> float:
        """10^-3 (Eq. 3), ramped up linearly over ``loss.adversarial_warmup`` steps when that is set."""
        loss = self.config.loss
        ramp = min(self.step / loss.adversarial_warmup, 1.0) if loss.adversarial_warmup else 1.0
        return loss.adversarial_weight * ramp

    def discriminator_step(self, hr_image: Tensor | None = None) -> dict[str, Tensor]:
        """One update of D on real HR crops and the (detached) fakes of the last G step: Eq. (2).

        ``hr_image`` defaults to the HR window that G's step used (the same random offset as its fakes).
        """
        hr_image = self._hr if hr_image is None else hr_image
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.amp):
            real_logits = self.discriminator_ddp(hr_image).float()
            fake_logits = self.discriminator_ddp(self._sr).float()
            loss = losses.discriminator_loss(real_logits, fake_logits)
        self.opt_d.zero_grad(set_to_none=True)
        loss.backward()
        if self.config.optim.grad_clip:
            nn.utils.clip_grad_norm_(self.discriminator.parameters(), self.config.optim.grad_clip)
        self.opt_d.step()
        self.sched_d.step()
        return {"loss_d": loss.detach(), "d_real": torch.sigmoid(real_logits).mean().detach(),
                "d_fake": torch.sigmoid(fake_logits).mean().detach()}

    def train_mode(self) -> None:
        """G (and D) in training mode; G's BatchNorm stays on its running statistics if ``optim.freeze_generator_bn``."""
        self.generator.train()
        if self.config.optim.freeze_generator_bn:
            for module in self.generator.modules():
                if isinstance(module, nn.modules.batchnorm._BatchNorm):
                    module.eval()

    # ----------------------------------------------------------------------------- the run
    def batches(self) -> Iterator[tuple[Tensor, Tensor]]:
        """(LR, HR) batches of this process for steps ``step + 1 ... run.steps``, on the device (``data.pipeline``).

        The loader draws its workers' seed from a generator of its own: drawn from the global one, it would
        shift the random numbers of the steps (SRGAN's jitter windows) in a resumed run.
        """
        data, info = self.config.data, self.info
        if self.stream is not None:  # data.pipeline=device: the same crops, made on the device
            yield from self.stream.batches(self.step, self.config.run.steps, data.batch_size, info,
                                           memory_format=self.memory_format)
            return
        loader = DataLoader(self.dataset, batch_size=data.batch_size // info.world_size,
                            sampler=StepSampler(self.step, self.config.run.steps, data.batch_size, info),
                            num_workers=data.workers, pin_memory=self.device.type == "cuda",
                            persistent_workers=False, prefetch_factor=4 if data.workers else None,
                            generator=torch.Generator().manual_seed(self.config.run.seed))
        for lr_image, hr_image in loader:
            yield (lr_image.to(self.device, non_blocking=True, memory_format=self.memory_format),
                   hr_image.to(self.device, non_blocking=True, memory_format=self.memory_format))

    def fit(self) -> TrainResult:
        """Train to ``run.steps``; log, validate and checkpoint every ``log_every``/``val_every``/``ckpt_every`` and at the end."""
        run, info = self.config.run, self.info
        self.run_dir.mkdir(parents=True, exist_ok=True)
        if info.is_main:
            (self.run_dir / "config.yaml").write_text(self.config.to_yaml())
        log = RunLog(self.run_dir, self.history, enabled=info.is_main, progress=run.progress, start=self.step,
                     total=run.steps, print_rows=bool(run.log_every))
        window, started, last_ckpt = LossWindow(self.device), time.perf_counter(), None
        for lr_image, hr_image in self.batches():
            self.step += 1
            stats = self.generator_step(lr_image, hr_image)
            if self.gan:
                stats.update(self.discriminator_step())
            window.add(stats)
            due = lambda every: self.step == run.steps or (bool(every) and self.step % every == 0)  # noqa: E731
            if not (due(run.log_every) or due(run.val_every) or due(run.ckpt_every)):
                continue
            if not bool(window.finite):
                raise TrainingDiverged(f"a loss became NaN or infinite by step {self.step}; the last good checkpoint "
                                       f"is {train_state.latest_checkpoint(self.run_dir) or 'none (no checkpoint yet)'}")
            row = {"step": self.step}
            if due(run.log_every):
                row.update(lr=self.opt_g.param_groups[0]["lr"], **window.row(info, self.config.data.batch_size),
                           elapsed_s=time.perf_counter() - started)
            if due(run.val_every):
                row.update(self.validate())
            if len(row) > 1:
                log.row(row)
            if due(run.ckpt_every):
                last_ckpt = self.save()
            log.progress(self.step)
        log.close()
        generator_path = self.run_dir / "generator.safetensors"
        if info.is_main:
            save_generator(self.generator, generator_path, metadata={"stage": run.stage, "steps": str(self.step),
                                                                     "profile": self.config.profile})
        ddp.barrier(info)
        return TrainResult(self.history, self.run_dir, generator_path, last_ckpt,
                           time.perf_counter() - started, self.history[-1] if self.history else {})

    def validate(self) -> dict[str, float]:
        """PSNR/SSIM (Y channel, ``scale`` px shaved) on the validation images, and a sample image; rank 0 only."""
        if not self.val_images or not self.info.is_main:
            ddp.barrier(self.info)
            return {}
        from ..evaluation.protocol import evaluate

        scale = self.config.model.scale
        result = evaluate(self.generator, self.val_images, scale=scale, device=self.device)
        save_sample_grid(self.generator, self.val_images[0][1], scale, self.run_dir / "samples" / f"step_{self.step:08d}.png")
        self.train_mode()
        ddp.barrier(self.info)
        return {"val_psnr": result.psnr_y, "val_ssim": result.ssim_y}

    def save(self) -> Path | None:
        """Write ``checkpoints/step_NNNNNNNN.pt`` atomically (rank 0) and keep the newest K (:mod:`.train_state`)."""
        return train_state.save(self)


def train(config: TrainConfig, out: str | Path, *, resume: bool = False, train_images: Any = None,
          val_images: Any = None) -> TrainResult:
    """Train per ``config`` into the run folder ``out``; returns the history and output paths.

    Args:
        config: from :func:`srgan_lite.training.config.make_config`.
        out: run folder (``config.yaml``, ``history.csv``, ``checkpoints/``, ``generator.safetensors``).
        resume: continue from the newest checkpoint in ``out``.
        train_images, val_images: override the configured data with in-memory images
            (lists of ``(name, uint8 array)``) or image paths; handy in notebooks and tests.
    """
    trainer = Trainer(config, out, resume=resume, train_images=train_images, val_images=val_images)
    try:
        return trainer.fit()
    finally:
        ddp.cleanup(trainer.info)
