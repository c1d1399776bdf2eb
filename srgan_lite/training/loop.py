"""Training SRResNet (MSE) and SRGAN (perceptual loss) with one loop, on a CPU, a GPU or many GPUs.

The loop is the paper's (Sec. 3.2): per step, one generator update, then (SRGAN) one discriminator
update; what each update computes is the objective's (:mod:`.objective`). The loop decides when: it draws
the batches, advances the learning-rate schedules, runs the hooks (``run.ema_decay``: :mod:`.ema`), and
logs, validates and checkpoints.

Work is never lost: checkpoints (models, optimizers, schedulers, EMA, step, RNG states, config) are
written atomically every ``run.ckpt_every`` steps; ``resume=True`` continues from the newest one
and, on a CPU with a fixed seed, reproduces the uninterrupted run's losses exactly, because the
data stream is a pure function of (seed, sample position), see :class:`PositionStream`.

Beside this file, :mod:`.setup` builds what it runs (networks, loss, optimizers, data), :mod:`.state`
saves and resumes it, :mod:`.log` logs it.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader

from ..data.sampling import PositionStream, StepSampler  # noqa: F401  (re-exported: the book imports them from here)
from ..errors import TrainingDiverged
from ..models.checkpoint import save_generator
from . import distributed as ddp
from . import setup
from . import state as train_state
from .config import TrainConfig, paper_deviations
from .ema import GeneratorEMA
from .log import HISTORY_FIELDS, LossWindow, RunLog, save_sample_grid
from .objective import SRGANObjective, SRResNetObjective
from .schedule import lr_factor

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


class Trainer:
    """One training run. Use :func:`train` unless you need to step it yourself (the book does).

    ``generator`` and ``discriminator`` are the plain networks (what is saved); ``generator_ddp`` and
    ``discriminator_ddp`` are what the steps call: the same modules inside DistributedDataParallel when several
    processes train (and G inside ``torch.compile`` with ``run.compile``), the plain modules otherwise.
    ``objective`` computes the updates; ``hooks`` (objects with ``after_step(trainer)``) run after each step; with
    ``run.ema_decay`` the average of G (``ema``) is what validation scores and ``generator.safetensors`` holds
    (``eval_generator``).
    """

    def __init__(self, config: TrainConfig, run_dir: str | Path, *, resume: bool = False,
                 train_images: Any = None, val_images: Any = None) -> None:
        self.config, self.run_dir, self.gan = config, Path(run_dir), config.run.stage == "srgan"
        self.info, self.device = setup.start(config)
        self.amp, self.memory_format = setup.use_amp(config, self.device), setup.memory_format(config)
        self.generator, self.discriminator = setup.build_networks(config, self.info, self.device, resume=resume)
        loss = setup.build_loss(config, self.info, self.device)
        self.opt_g, self.sched_g, self.opt_d, self.sched_d = setup.build_optimizers(config, self.generator, self.discriminator)
        self.generator_ddp, self.discriminator_ddp = setup.wrap_networks(
            config, self.generator, self.discriminator, self.info, self.device)
        self.ema = GeneratorEMA(self.generator, config.run.ema_decay) if config.run.ema_decay else None
        step = dict(device=self.device, amp=self.amp, grad_clip=config.optim.grad_clip)
        self.objective = (SRGANObjective(config, self.info, loss, self.generator_ddp, self.opt_g, opt_d=self.opt_d,
                                         discriminator=self.discriminator, discriminator_ddp=self.discriminator_ddp,
                                         reference=self.ema.module if config.loss.artifact_weight else None, **step)
                          if self.gan else SRResNetObjective(loss, self.generator_ddp, self.opt_g, **step))
        self.hooks = [hook for hook in (self.ema,) if hook is not None]
        self.train_mode()
        self.step, self.history = (train_state.resume(self.run_dir, self.checkpointed(), config=config.to_dict(),
                                                      device=self.device, info=self.info) if resume else (0, []))
        images = train_images if train_images is not None else setup.training_images(config, self.info)
        images, held_out = setup.hold_out(config, images)
        self.dataset = PositionStream(setup.crop_dataset(config, images), config.run.seed)
        self.stream = setup.device_stream(config, self.dataset, self.device)  # None: the DataLoader cuts the crops
        self.val_images = val_images if val_images is not None else setup.validation_images(config, self.info, held_out)

    @property
    def eval_generator(self) -> nn.Module:
        """What validation scores and the run exports: the EMA of G when ``run.ema_decay`` is set, else G."""
        return self.ema.module if self.ema is not None else self.generator

    def checkpointed(self) -> dict[str, Any]:
        """The objects a checkpoint holds besides step, RNG states and config (:mod:`.state`), by key."""
        objects = {"generator": self.generator, "opt_g": self.opt_g, "sched_g": self.sched_g}
        if self.gan:
            objects.update(discriminator=self.discriminator, opt_d=self.opt_d, sched_d=self.sched_d)
        return objects | ({"ema": self.ema} if self.ema is not None else {})

    def train_mode(self) -> None:
        """G (and D) in training mode; G's BatchNorm stays on its running statistics if ``optim.freeze_generator_bn``."""
        self.generator.train()
        if self.config.optim.freeze_generator_bn:
            for module in self.generator.modules():
                if isinstance(module, nn.modules.batchnorm._BatchNorm):
                    module.eval()

    def train_step(self, lr_image: Tensor, hr_image: Tensor) -> dict[str, Tensor]:
        """One iteration: G's update, then (SRGAN) D's on the fakes G's step hands over; schedules; hooks."""
        g_step = self.objective.generator_step(lr_image, hr_image)
        stats = dict(g_step.stats)
        if self.gan:
            stats.update(self.objective.discriminator_step(g_step))
        for schedule in (self.sched_g, self.sched_d) if self.gan else (self.sched_g,):
            schedule.step()
        for hook in self.hooks:
            hook.after_step(self)
        return stats

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
        # a resumed run's clock goes on from its last logged row, so elapsed_s is the training time of all segments
        earlier_s = next((row["elapsed_s"] for row in reversed(self.history) if "elapsed_s" in row), 0.0)
        for lr_image, hr_image in self.batches():
            self.step += 1
            window.add(self.train_step(lr_image, hr_image))
            due = lambda every: self.step == run.steps or (bool(every) and self.step % every == 0)  # noqa: E731
            if not (due(run.log_every) or due(run.val_every) or due(run.ckpt_every)):
                continue
            if not bool(window.finite):
                raise TrainingDiverged(f"a loss became NaN or infinite by step {self.step}; the last good checkpoint "
                                       f"is {train_state.latest_checkpoint(self.run_dir) or 'none (no checkpoint yet)'}")
            row = {"step": self.step}
            if due(run.log_every):
                row.update(lr=self.opt_g.param_groups[0]["lr"], **window.row(info, self.config.data.batch_size),
                           elapsed_s=earlier_s + time.perf_counter() - started)
                if run.stage == "srgan":
                    row["adversarial_weight"] = self.config.loss.adversarial_weight
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
            metadata = {"stage": run.stage, "steps": str(self.step), "profile": self.config.profile}
            save_generator(self.eval_generator, generator_path,
                           metadata=metadata | ({"ema_decay": str(run.ema_decay)} if self.ema is not None else {}))
        ddp.barrier(info)
        return TrainResult(self.history, self.run_dir, generator_path, last_ckpt,
                           time.perf_counter() - started, self.history[-1] if self.history else {})

    def validate(self) -> dict[str, float]:
        """PSNR/SSIM (Y channel, ``scale`` px shaved) of ``eval_generator`` on the validation images, and a sample
        image; rank 0 only."""
        if not self.val_images or not self.info.is_main:
            ddp.barrier(self.info)
            return {}
        from ..evaluation.protocol import evaluate

        scale, generator = self.config.model.scale, self.eval_generator
        result = evaluate(generator, self.val_images, scale=scale, device=self.device)
        save_sample_grid(generator, self.val_images[0][1], scale, self.run_dir / "samples" / f"step_{self.step:08d}.png")
        self.train_mode()
        ddp.barrier(self.info)
        return {"val_psnr": result.psnr_y, "val_ssim": result.ssim_y}

    def save(self) -> Path | None:
        """Write ``checkpoints/step_NNNNNNNN.pt`` atomically (rank 0) and keep the newest K (:mod:`.state`)."""
        return train_state.save(self.run_dir, self.step, self.checkpointed(), config=self.config.to_dict(),
                                keep=self.config.run.keep_checkpoints, info=self.info)


def train(config: TrainConfig, out: str | Path, *, resume: bool = False, train_images: Any = None,
          val_images: Any = None) -> TrainResult:
    """Train per ``config`` into the run folder ``out``; returns the history and output paths.

    A ``paper`` run first prints where it is not the paper's recipe (:func:`.config.paper_deviations`).

    Args:
        config: from :func:`srgan_lite.training.config.make_config`.
        out: run folder (``config.yaml``, ``history.csv``, ``checkpoints/``, ``generator.safetensors``).
        resume: continue from the newest checkpoint in ``out``.
        train_images, val_images: override the configured data with in-memory images
            (lists of ``(name, uint8 array)``) or image paths; handy in notebooks and tests.
    """
    trainer = Trainer(config, out, resume=resume, train_images=train_images, val_images=val_images)
    try:
        if config.profile == "paper" and trainer.info.is_main:
            print("profile paper (Ledig et al. 2017, Sec. 3.2); where this run is not the paper's recipe:\n  "
                  + "\n  ".join(paper_deviations(config)), flush=True)
        return trainer.fit()
    finally:
        ddp.cleanup(trainer.info)
