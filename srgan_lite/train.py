"""Training SRResNet (MSE) and SRGAN (perceptual loss) with one loop, on a CPU, a GPU or many GPUs.

The loop is the paper's (Sec. 3.2): per step, one generator update, then (SRGAN) one
discriminator update. During G's step D only *scores* the fakes (its parameters are frozen);
during D's step the fakes are detached so no gradient reaches G.

Work is never lost: checkpoints (models, optimizers, schedulers, step, RNG states, config) are
written atomically every ``run.ckpt_every`` steps; ``resume=True`` continues from the newest one
and, on a CPU with a fixed seed, reproduces the uninterrupted run's losses exactly, because the
data stream is a pure function of (seed, sample position), see :class:`PositionStream`.
"""
from __future__ import annotations

import csv
import math
import random
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset, Sampler

from . import distributed as ddp
from . import losses
from .checkpoint import load_checkpoint, save_checkpoint, save_generator
from .config import TrainConfig
from .discriminator import Discriminator
from .errors import CheckpointError, ConfigError, TrainingDiverged
from .generator import SRResNet

HISTORY_FIELDS = ("step", "lr", "loss_g", "content", "pixel", "phase", "adversarial", "loss_d", "d_real", "d_fake",
                  "val_psnr", "val_ssim", "images_per_s", "elapsed_s")


class PositionStream(Dataset):
    """Sample number ``position`` of an endless, shuffled stream of random crops.

    Which image (a per-epoch permutation) and which crop/flip (a generator seeded by the position)
    depend only on (seed, position), not on worker processes or restarts.
    """

    def __init__(self, base: Dataset, seed: int) -> None:
        self.base, self.seed = base, seed

    def __len__(self) -> int:
        return len(self.base)

    @lru_cache(maxsize=4)
    def _permutation(self, epoch: int) -> list[int]:
        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
        return torch.randperm(len(self.base), generator=generator).tolist()

    def __getitem__(self, position: int):
        epoch, offset = divmod(position, len(self.base))
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed((self.seed * 2_654_435_761 + position) % (2**63))
            return self.base[self._permutation(epoch)[offset]]


class StepSampler(Sampler[int]):
    """Positions for steps ``start_step+1 ... steps``; rank r takes its slice of each global batch."""

    def __init__(self, start_step: int, steps: int, batch_size: int, info: ddp.Dist) -> None:
        self.start_step, self.steps, self.batch_size, self.info = start_step, steps, batch_size, info

    def __len__(self) -> int:
        return (self.steps - self.start_step) * self.batch_size // self.info.world_size

    def __iter__(self) -> Iterator[int]:
        per_rank = self.batch_size // self.info.world_size
        for step in range(self.start_step, self.steps):
            first = step * self.batch_size + self.info.rank * per_rank
            yield from range(first, first + per_rank)


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


def _rng_state() -> dict[str, Any]:
    state = {"torch": torch.get_rng_state(), "python": list(random.getstate()[1]),
             "python_version": random.getstate()[0], "python_gauss": random.getstate()[2] or 0.0,
             "numpy": torch.from_numpy(np.random.get_state()[1].astype(np.int64)),
             "numpy_pos": int(np.random.get_state()[2])}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    gauss = state["python_gauss"] or None
    random.setstate((state["python_version"], tuple(state["python"]), gauss))
    np.random.set_state(("MT19937", state["numpy"].numpy().astype(np.uint32), state["numpy_pos"], 0, 0.0))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


class Trainer:
    """One training run. Use :func:`train` unless you need to step it yourself (the book does)."""

    def __init__(self, config: TrainConfig, run_dir: str | Path, *, resume: bool = False,
                 train_images: Any = None, val_images: Any = None) -> None:
        from .data import HRCropDataset

        self.config, self.run_dir = config, Path(run_dir)
        self.info, self.device = ddp.init_distributed(config.run.device)
        run, data = config.run, config.data
        if data.batch_size % self.info.world_size:
            raise ConfigError(f"data.batch_size={data.batch_size} must be divisible by the {self.info.world_size} processes")
        torch.manual_seed(run.seed)
        random.seed(run.seed)
        np.random.seed(run.seed)
        if self.device.type == "cuda":
            torch.backends.cudnn.benchmark = True
        self.amp = run.amp == "bf16" or (run.amp == "auto" and self.device.type == "cuda")
        self.memory_format = torch.channels_last if run.channels_last else torch.contiguous_format

        self.generator = SRResNet(config.model).to(self.device, memory_format=self.memory_format)
        if run.init and not resume:
            from .weights import load_pretrained

            source = load_pretrained(run.init)
            if source.config != config.model:
                raise ConfigError(f"run.init={run.init} is a {source.config} generator, but model is {config.model}")
            self.generator.load_state_dict(source.state_dict())
        self.gan = run.stage == "srgan"
        self.discriminator = Discriminator(data.patch_size).to(self.device, memory_format=self.memory_format) if self.gan else None
        loss = config.loss
        self.perceptual = losses.PerceptualLoss(loss.content, adversarial_weight=loss.adversarial_weight,
                                                pixel_weight=loss.pixel_weight, phase_weight=loss.phase_weight,
                                                rescale=loss.content_rescale,
                                                vgg_weights=loss.vgg_weights,
                                                allow_random_fallback=loss.allow_random_vgg).to(self.device)
        optim = config.optim
        self.opt_g = torch.optim.Adam(self.generator.parameters(), lr=optim.lr, betas=optim.betas)
        self.sched_g = torch.optim.lr_scheduler.LambdaLR(self.opt_g, lambda s: lr_factor(config, s))
        if self.gan:
            self.opt_d = torch.optim.Adam(self.discriminator.parameters(), lr=optim.lr_d or optim.lr, betas=optim.betas)
            self.sched_d = torch.optim.lr_scheduler.LambdaLR(self.opt_d, lambda s: lr_factor(config, s))
        self.g = ddp.wrap(self.generator, self.info, self.device)
        self.d = ddp.wrap(self.discriminator, self.info, self.device) if self.gan else None
        if run.compile:
            self.g = torch.compile(self.g)

        self.train_mode()
        self.step, self.history = 0, []
        if resume:
            self._resume()
        train_images = train_images if train_images is not None else _training_images(data.train, data.data_dir)
        crop = data.patch_size + (data.shift_jitter if self.gan else 0)
        self.dataset = PositionStream(HRCropDataset(train_images, patch_size=crop, scale=config.model.scale,
                                                    augment=data.augment), run.seed)
        self.val_images = val_images if val_images is not None else _validation_images(data)

    # ----------------------------------------------------------------------------- the two steps
    def generator_step(self, lr: Tensor, hr: Tensor) -> dict[str, Tensor]:
        """One update of G: the content loss (SRResNet) or the perceptual loss of Eq. (3) (SRGAN)."""
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.amp):
            sr = self.g(lr)
            if not self.gan:
                loss, parts = self.perceptual(sr.float(), hr)
            else:
                sr, hr = self._jitter(sr, hr)
                plain_d = ddp.unwrap(self.d)  # G's step never synchronises D's gradients
                plain_d.requires_grad_(False)
                loss, parts = self.perceptual(sr.float(), hr, plain_d(sr).float(), self.adversarial_weight())
                plain_d.requires_grad_(True)
        self.opt_g.zero_grad(set_to_none=True)
        loss.backward()
        if self.config.optim.grad_clip:
            nn.utils.clip_grad_norm_(self.generator.parameters(), self.config.optim.grad_clip)
        self.opt_g.step()
        self.sched_g.step()
        self._sr, self._hr = sr.detach(), hr
        return {"loss_g": loss.detach(), **parts}

    def _jitter(self, sr: Tensor, hr: Tensor) -> tuple[Tensor, Tensor]:
        """A ``patch_size`` window of each (patch + shift_jitter) crop, at the same offset in SR and HR.

        Offsets differ per sample and cover the ``scale`` x ``scale`` sub-pixel phases evenly across the
        batch, so the periodic (checkerboard) part of the gradients that D's and the feature network's
        strided convolutions send back (Odena et al. 2016) lands on every phase of G's sub-pixel grid
        equally often in one step, and cancels instead of building up a grid.
        """
        extra, size, scale = self.config.data.shift_jitter, self.config.data.patch_size, self.config.model.scale
        if not extra:
            return sr, hr
        n = sr.shape[0]
        phases = torch.randperm(scale * scale)[torch.arange(n) % (scale * scale)]
        coarse = torch.randint(extra // scale, (2, n)) * scale
        tops, lefts = (phases // scale + coarse[0]).tolist(), (phases % scale + coarse[1]).tolist()
        cut = lambda x: torch.cat([x[i:i + 1, :, t:t + size, l:l + size] for i, (t, l) in enumerate(zip(tops, lefts))])  # noqa: E731
        return cut(sr), cut(hr)

    def adversarial_weight(self) -> float:
        """10^-3 (Eq. 3), ramped up linearly over ``loss.adversarial_warmup`` steps when that is set."""
        loss = self.config.loss
        ramp = min(self.step / loss.adversarial_warmup, 1.0) if loss.adversarial_warmup else 1.0
        return loss.adversarial_weight * ramp

    def discriminator_step(self, hr: Tensor | None = None) -> dict[str, Tensor]:
        """One update of D on real HR crops and the (detached) fakes of the last G step: Eq. (2).

        ``hr`` defaults to the HR window that G's step used (the same random offset as its fakes).
        """
        hr = self._hr if hr is None else hr
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.amp):
            real_logits = self.d(hr).float()
            fake_logits = self.d(self._sr).float()
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
        data, info = self.config.data, self.info
        loader = DataLoader(self.dataset, batch_size=data.batch_size // info.world_size,
                            sampler=StepSampler(self.step, self.config.run.steps, data.batch_size, info),
                            num_workers=data.workers, pin_memory=self.device.type == "cuda",
                            persistent_workers=False, prefetch_factor=4 if data.workers else None)
        for lr, hr in loader:
            yield (lr.to(self.device, non_blocking=True, memory_format=self.memory_format),
                   hr.to(self.device, non_blocking=True, memory_format=self.memory_format))

    def fit(self) -> TrainResult:
        run, info = self.config.run, self.info
        self.run_dir.mkdir(parents=True, exist_ok=True)
        if info.is_main:
            (self.run_dir / "config.yaml").write_text(self.config.to_yaml())
        writer = _tensorboard(self.run_dir) if info.is_main else None
        bar = _progress(run.progress and info.is_main, self.step, run.steps)
        sums: dict[str, Tensor] = {}
        finite = torch.ones((), dtype=torch.bool, device=self.device)
        window_start, window_steps, started, last_ckpt = time.perf_counter(), 0, time.perf_counter(), None
        for lr, hr in self.batches():
            self.step += 1
            stats = self.generator_step(lr, hr)
            if self.gan:
                stats.update(self.discriminator_step())
            finite &= torch.isfinite(stats["loss_g"]) & torch.isfinite(stats.get("loss_d", stats["loss_g"]))
            for key, value in stats.items():
                sums[key] = sums.get(key, 0.0) + value
            window_steps += 1
            last = self.step == run.steps
            due = lambda every: bool(every) and self.step % every == 0  # noqa: E731
            if not (last or due(run.log_every) or due(run.val_every) or due(run.ckpt_every)):
                continue
            if not bool(finite):
                raise TrainingDiverged(f"a loss became NaN or infinite by step {self.step}; "
                                       f"the last good checkpoint is {self._latest_checkpoint() or 'none (no checkpoint yet)'}")
            if last or due(run.log_every):
                seconds = time.perf_counter() - window_start
                row = {"step": self.step, "lr": self.opt_g.param_groups[0]["lr"],
                       **{k: float(ddp.all_reduce_mean(v / window_steps, info)) for k, v in sums.items()},
                       "images_per_s": window_steps * self.config.data.batch_size / max(seconds, 1e-9),
                       "elapsed_s": time.perf_counter() - started}
                sums, window_steps, window_start = {}, 0, time.perf_counter()
                if last or due(run.val_every):
                    row.update(self.validate())
                self._log(row, bar, writer)
            elif due(run.val_every):
                self._log({"step": self.step, **self.validate()}, bar, writer)
            if last or due(run.ckpt_every):
                last_ckpt = self.save()
            if bar is not None:
                bar.update(self.step - bar.n)
        if bar is not None:
            bar.close()
        generator_path = self.run_dir / "generator.safetensors"
        if info.is_main:
            save_generator(self.generator, generator_path, metadata={"stage": run.stage, "steps": str(self.step),
                                                                     "profile": self.config.profile})
        ddp.barrier(info)
        return TrainResult(self.history, self.run_dir, generator_path, last_ckpt,
                           time.perf_counter() - started, self.history[-1] if self.history else {})

    # ----------------------------------------------------------------------------- validation, logs
    def validate(self) -> dict[str, float]:
        """PSNR/SSIM (Y channel, ``scale`` px shaved) on the validation images; rank 0 only."""
        if not self.val_images or not self.info.is_main:
            ddp.barrier(self.info)
            return {}
        from .evaluate import evaluate

        result = evaluate(self.generator, self.val_images, scale=self.config.model.scale, device=self.device)
        self._save_sample_grid()
        self.train_mode()
        ddp.barrier(self.info)
        return {"val_psnr": result.psnr_y, "val_ssim": result.ssim_y}

    def _save_sample_grid(self, size: int = 192) -> Path:
        """``samples/step_N.png``: bicubic | G | HR on a centre crop of the first validation image."""
        from PIL import Image

        from .imresize import bicubic_degrade, imresize_uint8, modcrop
        from .inference import super_resolve

        scale = self.config.model.scale
        hr = modcrop(_centre_crop(self.val_images[0][1], size), scale)
        if hr.ndim == 2:
            hr = np.repeat(hr[:, :, None], 3, axis=2)
        lr = bicubic_degrade(hr, scale)
        panels = [imresize_uint8(lr, scale), super_resolve(self.generator, lr), hr]
        gap = np.full((hr.shape[0], 4, 3), 255, np.uint8)
        grid = np.concatenate([panels[0], gap, panels[1], gap, panels[2]], axis=1)
        path = self.run_dir / "samples" / f"step_{self.step:08d}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(grid).save(path)
        return path

    def _log(self, row: dict[str, Any], bar, writer) -> None:
        if not self.info.is_main:
            return
        self.history.append(row)
        path = self.run_dir / "history.csv"
        new = not path.exists()
        with path.open("a", newline="") as f:
            out = csv.DictWriter(f, HISTORY_FIELDS, extrasaction="ignore")
            if new:
                out.writeheader()
            out.writerow(row)
        if writer is not None:
            for key, value in row.items():
                if key != "step":
                    writer.add_scalar(key, value, row["step"])
        shown = {k: f"{row[k]:.4g}" for k in ("loss_g", "loss_d", "val_psnr") if k in row}
        if bar is not None:
            bar.set_postfix(shown, refresh=False)
        elif self.config.run.log_every:
            print(f"step {row['step']:>6}  " + "  ".join(f"{k} {v}" for k, v in shown.items()), flush=True)

    # ----------------------------------------------------------------------------- checkpoints
    def _latest_checkpoint(self) -> Path | None:
        found = sorted((self.run_dir / "checkpoints").glob("step_*.pt"))
        return found[-1] if found else None

    def save(self) -> Path | None:
        """Write ``checkpoints/step_NNNNNNNN.pt`` atomically (rank 0) and keep the newest K."""
        path = None
        if self.info.is_main:
            state = {"step": self.step, "config": self.config.to_dict(), "rng": _rng_state(),
                     "generator": self.generator.state_dict(), "opt_g": self.opt_g.state_dict(),
                     "sched_g": self.sched_g.state_dict()}
            if self.gan:
                state.update(discriminator=self.discriminator.state_dict(), opt_d=self.opt_d.state_dict(),
                             sched_d=self.sched_d.state_dict())
            path = save_checkpoint(state, self.run_dir / "checkpoints" / f"step_{self.step:08d}.pt")
            for old in sorted((self.run_dir / "checkpoints").glob("step_*.pt"))[:-max(self.config.run.keep_checkpoints, 1)]:
                old.unlink()
        ddp.barrier(self.info)
        return path

    def _resume(self) -> None:
        path = self._latest_checkpoint()
        if path is None:
            raise CheckpointError(f"--resume: no checkpoint in {self.run_dir / 'checkpoints'}; start without --resume")
        state = load_checkpoint(path, map_location=self.device)
        if state.get("config", {}).get("run", {}).get("stage") != self.config.run.stage:
            raise CheckpointError(f"{path} belongs to a {state.get('config', {}).get('run', {}).get('stage')!r} run, not {self.config.run.stage!r}")
        self.generator.load_state_dict(state["generator"])
        self.opt_g.load_state_dict(state["opt_g"])
        self.sched_g.load_state_dict(state["sched_g"])
        if self.gan:
            self.discriminator.load_state_dict(state["discriminator"])
            self.opt_d.load_state_dict(state["opt_d"])
            self.sched_d.load_state_dict(state["sched_d"])
        self.step = int(state["step"])
        _set_rng_state({k: (v.cpu() if isinstance(v, Tensor) else v) for k, v in state["rng"].items()})
        history = self.run_dir / "history.csv"
        if history.exists():  # drop rows logged after the checkpoint: they will be logged again
            with history.open() as f:
                rows = [r for r in csv.DictReader(f) if int(r["step"]) <= self.step]
            with history.open("w", newline="") as f:
                out = csv.DictWriter(f, HISTORY_FIELDS)
                out.writeheader()
                out.writerows(rows)
            self.history = [{k: float(v) for k, v in r.items() if v != ""} for r in rows]


def _training_images(spec: str, data_dir: str | None):
    """A dataset name, a folder, or several joined by commas -> what HRCropDataset accepts."""
    from .data import list_images
    from .datasets import resolve_dataset, skimage_photos

    if spec == "skimage":
        return skimage_photos()
    paths = []
    for part in spec.split(","):
        paths.extend(list_images(resolve_dataset(part.strip(), data_dir, download=True)))
    return paths


def _validation_images(data) -> list:
    from .data import load_eval_images
    from .datasets import resolve_dataset, skimage_photos

    if not data.val:
        return []
    images = skimage_photos() if data.val == "skimage" else load_eval_images(resolve_dataset(data.val, data.data_dir, download=True))
    if data.max_val_images:
        images = images[: data.max_val_images]
    if data.val_crop:
        images = [(name, _centre_crop(img, data.val_crop)) for name, img in images]
    return images


def _centre_crop(image: np.ndarray, size: int) -> np.ndarray:
    h, w = image.shape[:2]
    top, left = max((h - size) // 2, 0), max((w - size) // 2, 0)
    return image[top:top + size, left:left + size]


def _progress(enabled: bool, start: int, total: int):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=start, unit="step", dynamic_ncols=True)


def _tensorboard(run_dir: Path):
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:  # TensorBoard is optional
        return None
    return SummaryWriter(str(run_dir / "tensorboard"))


def train(config: TrainConfig, out: str | Path, *, resume: bool = False, train_images: Any = None,
          val_images: Any = None) -> TrainResult:
    """Train per ``config`` into the run folder ``out``; returns the history and output paths.

    Args:
        config: from :func:`srgan_lite.config.make_config`.
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
