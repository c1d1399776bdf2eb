"""Typed configuration: one dataclass per concern, named profiles, YAML files and ``key=value`` overrides.

Profiles (chosen in one place, :func:`make_config`):

* ``paper``: the paper's recipe (Sec. 3.2). The paper's network and initialisation (``PAPER_CONFIG``: no
  ICNR), 16 random 96x96 HR crops per batch without flips or rotations, fp32, Adam with beta1 = 0.9 at
  10^-4. SRResNet: 10^6 iterations with MSE. SRGAN: initialised from a trained SRResNet, 10^5 iterations
  at 10^-4 then 10^5 at 10^-5, VGG54 content loss + 10^-3 adversarial loss, one D step per G step. The
  profile names no SRResNet: training it needs ``--init`` (``run.init``), a paper-trained SRResNet's
  ``.safetensors`` (or ``srresnet_x4``, the small CPU-trained one shipped here). Validation: 10 training
  images held out (``data.val_split``), not a test set. What cannot be the paper's is listed by
  :func:`paper_deviations`, which :func:`srgan_lite.training.loop.train` prints when a paper run starts.
* ``quick``: the same networks and losses, sized to finish in a minute or two on 2 CPU cores
  (48x48 crops, a few hundred steps, the scikit-image photos). SRGAN's quick profile uses the
  paper's SRGAN-MSE variant (Table 1), which needs no pretrained VGG19.
* ``texture``: the paper's thesis on one stationary texture (``data.train=texture:gravel``: the left half of
  scikit-image's ``gravel``; validation on 128 px tiles of the right half), where a GAN learns texture in
  minutes on a CPU: a small SRResNet (6 blocks of 32 channels) with resize-convolution upsampling, 48 px crops;
  SRResNet with MSE at 5 x 10^-4; SRGAN-MSE (pixel MSE + 5 x 10^-3 adversarial loss) at 2 x 10^-4 against a
  patch discriminator of width 16 with spectral normalisation, 8 px shift jitter and an EMA of G (0.995),
  started from the MSE model (``run.init``). :mod:`srgan_lite.data.textures` says why gravel.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError, WeightsError
from ..models.architectures import DiscriminatorConfig
from ..models.pretrained import shipped_config
from ..models.srresnet import PAPER_CONFIG, GeneratorConfig
from .checks import PROFILES, STAGES, merge, validate

__all__ = ["PROFILES", "DataConfig", "DiscriminatorConfig", "LossConfig", "OptimConfig", "RunConfig", "TrainConfig", "make_config",
           "paper_deviations", "preset"]


@dataclass
class DataConfig:
    """Where training and validation images come from, and how they are cut.

    Args:
        train: a benchmark/dataset name (``skimage``, ``DIV2K_train_HR``, ...), a folder of HR images, or
            ``texture:NAME`` (the left half of a scikit-image texture, :mod:`srgan_lite.data.textures`).
        val: the same for validation (PSNR/SSIM under the evaluation protocol), or ``None``; ``texture:NAME``
            validates on 128 px tiles of the texture's right half. Single-channel
            images are scored on their grey values, as :func:`srgan_lite.evaluation.evaluate` does.
        val_split: hold this many training images out for validation instead (chosen from ``run.seed`` alone,
            removed from the training images; 0 = off). Refused together with ``val``.
        data_dir: root of downloaded datasets (else ``$SRGAN_LITE_DATA``, else a user cache dir).
        patch_size: HR crop size (96 in the paper); LR crops are ``patch_size / scale``.
        batch_size: global batch (16 in the paper), split across DDP ranks.
        workers: DataLoader worker processes (``pipeline=loader`` only; the device pipeline has no workers).
        val_crop: centre-crop validation HR images to this size (0 = whole images).
        max_val_images: validate on at most this many images (0 = all).
        augment: random flips and 90-degree rotations of the training crops (not in the paper).
        shift_jitter: SRGAN only: cut HR crops this many pixels larger and show D and the content loss a
            ``patch_size`` window at a random offset, so the 4-pixel sub-pixel grid of G is not locked to
            the strides of D and of the feature network (0 = the paper's fixed 96x96 crops).
        pipeline: ``loader`` (DataLoader workers cut and degrade the crops on the CPU) or ``device``
            (:class:`srgan_lite.data.device_crops.DeviceCropStream`: the same crops, bit for bit, cut and degraded
            on the training device, the images held there once; for GPUs).
    """

    train: str = "skimage"
    val: str | None = "Set5"
    val_split: int = 0
    data_dir: str | None = None
    patch_size: int = 96
    batch_size: int = 16
    workers: int = 2
    val_crop: int = 0
    max_val_images: int = 0
    augment: bool = True
    shift_jitter: int = 0
    pipeline: str = "loader"


@dataclass
class OptimConfig:
    """Adam and the learning-rate schedule.

    Args:
        lr: initial learning rate of G and D (paper: 10^-4).
        betas: Adam's (beta1, beta2) (paper: beta1 = 0.9).
        schedule: ``constant``, ``step`` (multiply by ``gamma`` at each of ``milestones``) or
            ``cosine`` (to ``lr * min_lr_ratio`` at the last step); see :mod:`.schedule`.
        milestones: steps at which ``step`` decays (paper SRGAN: [100000]); ``schedule=step`` only.
        gamma: decay factor of ``step`` (paper: 0.1, i.e. 10^-4 -> 10^-5); ``schedule=step`` only.
        min_lr_ratio: final lr / initial lr of ``cosine``; ``schedule=cosine`` only.
        grad_clip: clip G's and D's gradient norm to this (0 = off; not in the paper).
        lr_d: D's initial learning rate when it differs from G's (None = ``lr``, as in the paper).
        warmup_steps: ramp G's and D's rates linearly from ``lr / warmup_steps`` to the schedule's over this many
            steps (0 = off, as in the paper). Fine-tuning needs it: Adam's first update moves every weight by about
            ``lr`` whatever its gradient's size, and one such step at 10^-4 costs a trained SRResNet about 2 dB.
        freeze_generator_bn: keep G's BatchNorm layers on their running statistics (eval mode, no
            updates) while training, the usual way to fine-tune a BatchNorm network at small batch
            (their affine weights still learn). Not in the paper; refused for a model without BatchNorm.
        freeze_upsampler: keep G's sub-pixel convolution stages and its last convolution at the weights it
            started from (``run.init``), so fine-tuning changes what G computes at LR resolution, not how it
            lays it out on the x4 lattice. Not in the paper.
    """

    lr: float = 1e-4
    betas: tuple[float, float] = (0.9, 0.999)
    schedule: str = "constant"
    milestones: list[int] = field(default_factory=list)
    gamma: float = 0.1
    min_lr_ratio: float = 0.01
    grad_clip: float = 0.0
    lr_d: float | None = None
    warmup_steps: int = 0
    freeze_generator_bn: bool = False
    freeze_upsampler: bool = False


@dataclass
class LossConfig:
    """The objective (:mod:`.objective`). SRResNet: MSE (Eq. 4). SRGAN: Eq. (3) = content + adversarial_weight * l_Gen.

    Args:
        content: ``mse``, ``vgg22`` or ``vgg54`` (the paper's, Table 1; vgg54 is its SRGAN default), or
            ``lite0_norm`` (EfficientNet-Lite0 features, offline). Used by both stages (SRResNet-VGG22 is Table 1's).
        content_rescale: feature-map rescaling (None = the network's constant: 1/12.75 for VGG, as in the
            paper; ``losses.LITE0_NORM_RESCALE`` for lite0_norm).
        pixel_weight: weight of an extra pixel-MSE term beside a feature content loss (paper: 0).
        phase_weight: weight of ``losses.subpixel_phase_loss``, which removes a grid of period ``model.scale``
            locked to the LR lattice (paper: 0).
        adversarial_weight: 10^-3 in the paper; SRGAN only.
        artifact_weight: weight of LDL's artifact penalty (``losses.artifact_loss``; Liang et al. 2022 use 1),
            which damps a mesh or lattice where G's residual is locally noisy and worse than that of the EMA of G;
            SRGAN only, needs ``run.ema_decay`` (paper: 0).
        gan_type: the adversarial game, from ``losses.GAN_LOSSES``: ``vanilla`` (the paper's Eq. 2 and 6) or
            ``relativistic`` (ESRGAN's relativistic average GAN); SRGAN only.
        vgg_weights: ``imagenet`` (torchvision, via the torch hub cache) or a state-dict path; VGG losses only.
        allow_random_vgg: if the VGG19 weights cannot be had, continue with random weights
            (loudly). Off by default: never fall back silently. VGG losses only.
    """

    content: str = "mse"
    content_rescale: float | None = None
    pixel_weight: float = 0.0
    phase_weight: float = 0.0
    adversarial_weight: float = 1e-3
    artifact_weight: float = 0.0
    gan_type: str = "vanilla"
    vgg_weights: str = "imagenet"
    allow_random_vgg: bool = False


@dataclass
class RunConfig:
    """How a run executes, logs and saves.

    Args:
        stage: ``srresnet`` (G alone, MSE) or ``srgan`` (G and D, perceptual loss).
        steps: total generator updates.
        init: generator weights to start from (a registered name or a .safetensors file); SRGAN
            starts from a trained SRResNet in the paper.
        init_trunk: take only the trunk of ``init`` (SRResNet's first conv, residual blocks and the conv after
            them); the upsampler and the last conv start fresh, so ``model.upsampler`` may differ from the
            source's: a resize-convolution SRResNet started from ``srresnet_x4`` (issue 25's deviation).
        device: ``auto`` (CUDA when present), ``cpu``, ``cuda`` or ``cuda:N``.
        amp: ``auto`` (bf16 autocast on CUDA), ``bf16`` or ``off``.
        channels_last, compile: speed options (NHWC memory layout; ``torch.compile``).
        sync_bn: ``auto`` (on when more than one process trains), ``true`` or ``false``: BatchNorm in G
            and D normalises with the statistics of the whole global batch, not of each process's slice
            (:class:`srgan_lite.training.distributed.SyncBatchNorm2d`; one process: no effect).
        seed: seeds model initialisation, the data stream and ``data.val_split``; a resumed run repeats it exactly.
        ema_decay: keep an exponential moving average of G's weights and BatchNorm statistics with this decay
            (0 = off; e.g. 0.999; not in the paper). When on, validation and ``generator.safetensors`` use the
            average (:mod:`.ema`).
        log_every, val_every, ckpt_every: intervals in steps (0 = never, except at the end).
        keep_checkpoints: keep the last K checkpoints.
        progress: show a tqdm bar (off in notebooks, which print log lines instead).
    """

    stage: str = "srresnet"
    steps: int = 1_000_000
    init: str | None = None
    init_trunk: bool = False
    device: str = "auto"
    amp: str = "auto"
    channels_last: bool = True
    compile: bool = False
    sync_bn: str | bool = "auto"
    seed: int = 0
    ema_decay: float = 0.0
    log_every: int = 100
    val_every: int = 5000
    ckpt_every: int = 5000
    keep_checkpoints: int = 3
    progress: bool = True


@dataclass
class TrainConfig:
    """Everything a training run needs; stored in every checkpoint as plain data."""

    model: GeneratorConfig = field(default_factory=GeneratorConfig)
    discriminator: DiscriminatorConfig = field(default_factory=DiscriminatorConfig)
    data: DataConfig = field(default_factory=DataConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    run: RunConfig = field(default_factory=RunConfig)
    profile: str = "paper"

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_yaml(self) -> str:
        data = self.to_dict()
        data["optim"]["betas"] = list(data["optim"]["betas"])
        return yaml.safe_dump(data, sort_keys=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TrainConfig":
        config = cls()
        merge(config, data)
        validate(config, preset)
        return config


def _paper(stage: str) -> TrainConfig:
    config = TrainConfig(model=PAPER_CONFIG, profile="paper")
    # validation on training images held out, not on Set5: a test set must not choose checkpoints
    config.data = DataConfig(train="DIV2K_train_HR", val=None, val_split=10, patch_size=96, batch_size=16, workers=4,
                             augment=False)
    if stage == "srresnet":
        config.run = RunConfig(stage="srresnet", steps=1_000_000, amp="off")
        config.loss = LossConfig(content="mse")
    else:
        config.run = RunConfig(stage="srgan", steps=200_000, amp="off")  # init: a trained SRResNet, passed by the user
        config.optim = OptimConfig(lr=1e-4, schedule="step", milestones=[100_000], gamma=0.1)
        config.loss = LossConfig(content="vgg54", adversarial_weight=1e-3)
    return config


def _quick(stage: str) -> TrainConfig:
    config = TrainConfig(profile="quick")
    config.data = DataConfig(train="skimage", val="skimage", patch_size=48, batch_size=8, workers=0,
                             val_crop=128, max_val_images=3)
    common = dict(device="auto", log_every=10, val_every=100, ckpt_every=100, keep_checkpoints=2)
    if stage == "srresnet":
        config.run = RunConfig(stage="srresnet", steps=200, **common)
        config.optim = OptimConfig(lr=1e-3, schedule="cosine", min_lr_ratio=0.1)
        config.loss = LossConfig(content="mse")
    else:
        config.run = RunConfig(stage="srgan", steps=100, init=None, **common)
        config.optim = OptimConfig(lr=1e-4)
        config.loss = LossConfig(content="mse", adversarial_weight=1e-3)
    return config


def _texture(stage: str) -> TrainConfig:
    config = TrainConfig(profile="texture", model=GeneratorConfig(num_blocks=6, channels=32, upsampler="resize"))
    config.data = DataConfig(train="texture:gravel", val="texture:gravel", patch_size=48, batch_size=16, workers=0)
    common = dict(device="auto", log_every=50, val_every=0, ckpt_every=0, keep_checkpoints=2, progress=False)
    if stage == "srresnet":
        config.run = RunConfig(stage="srresnet", steps=800, **common)
        config.optim = OptimConfig(lr=5e-4)
        config.loss = LossConfig(content="mse")
    else:
        config.run = RunConfig(stage="srgan", steps=600, ema_decay=0.995, **common)
        config.optim = OptimConfig(lr=2e-4)
        config.loss = LossConfig(content="mse", adversarial_weight=5e-3)
        config.discriminator = DiscriminatorConfig(arch="patch", channels=16)
        config.data.shift_jitter = 8
    return config


def preset(profile: str, stage: str) -> TrainConfig:
    """The profile's preset for a stage (a fresh object): what :func:`make_config` starts from, and what the
    checks compare with to tell an option the user set from the preset's (:func:`.checks.validate`)."""
    return {"paper": _paper, "quick": _quick, "texture": _texture}[profile](stage)


def paper_deviations(config: TrainConfig) -> list[str]:
    """Where a ``paper`` run cannot be, or is not, the paper's recipe (Sec. 3.2), one line each.

    Always: the training images (the paper's 350 thousand ImageNet images are not downloadable here); with a
    VGG content loss, what its 1/12.75 means; then every recipe option set away from the paper preset.
    """
    data, loss = config.data, config.loss
    lines = [f"training images: data.train={data.train}, not the paper's 350 thousand ImageNet images"]
    if loss.content in ("vgg22", "vgg54") and loss.content_rescale is None:
        lines.append("VGG content loss: the paper's 1/12.75 rescaled VGG19 maps computed on [0, 255] Caffe inputs; "
                     "torchvision's VGG19 takes ImageNet-normalised inputs, so the same constant weighs Eq. (5) "
                     "differently (losses.calibrate_rescale measures it)")
    paper = preset("paper", config.run.stage).to_dict()
    for section, fields in config.to_dict().items():
        for name, value in fields.items() if isinstance(fields, dict) else ():
            if f"{section}.{name}" not in _HOW_IT_RUNS and value != paper[section][name]:
                lines.append(f"{section}.{name}={value} (paper: {paper[section][name]})")
    return lines


#: Fields that say where and how a run executes, not what it trains: no deviation from the recipe.
_HOW_IT_RUNS = ("data.train", "data.val", "data.val_split", "data.data_dir", "data.workers", "data.val_crop",
                "data.max_val_images", "data.pipeline", "loss.vgg_weights", "run.init", "run.init_trunk", "run.device",
                "run.channels_last", "run.compile", "run.sync_bn", "run.seed", "run.log_every", "run.val_every",
                "run.ckpt_every", "run.keep_checkpoints", "run.progress")


def training_config(name: str, stage: str | None = None) -> TrainConfig:
    """The configuration a registered name's weights were trained with, as shipped beside them.

    Args:
        name: a registered name whose registry entry has ``train_config`` (``<name>_config.yaml``, written by
            ``srgan_lite.models.publish``: a mapping stage name -> ``TrainConfig.to_dict()``).
        stage: which stage of a staged run (e.g. ``"srresnet"``, the warm start of an SRGAN run); ``None`` is the
            last stage in the file, the one that produced the weights.

    Raises:
        WeightsError: an unknown name, weights that ship no configuration, or a stage the file does not hold.
    """
    stages = shipped_config(name)
    if stage is None:
        stage = list(stages)[-1]
    elif stage not in stages:
        raise WeightsError(f"weights {name!r} have no training stage {stage!r}: their stages are "
                           f"{', '.join(map(repr, stages))} (stage=None is the last)")
    return TrainConfig.from_dict(stages[stage])


def make_config(profile: str = "quick", stage: str = "srresnet", overrides: list[str] | None = None,
                yaml_file: str | Path | None = None) -> TrainConfig:
    """The one place a configuration is chosen: profile preset, then a YAML file, then ``key=value`` overrides.

    Args:
        profile: ``quick``, ``paper`` or ``texture``.
        stage: ``srresnet`` or ``srgan``.
        overrides: strings like ``optim.lr=1e-5`` or ``data.patch_size=64`` (values parsed as YAML).
        yaml_file: a YAML file with any subset of the fields (see ``configs/*.yaml``).
    """
    if profile not in PROFILES:
        raise ConfigError(f"--profile {profile!r} is unknown: choose {' or '.join(PROFILES)}")
    if stage not in STAGES:
        raise ConfigError(f"--stage {stage!r} is unknown: choose {' or '.join(STAGES)}")
    config = preset(profile, stage)
    if yaml_file is not None:
        path = Path(yaml_file)
        try:
            data = yaml.safe_load(path.read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"cannot read config file {path}: {str(exc).splitlines()[0]}") from None
        if not isinstance(data, dict):
            raise ConfigError(f"config file {path} must hold a mapping of sections (model, discriminator, data, optim, loss, run)")
        merge(config, data)
    for item in overrides or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(f"--set {item!r}: expected key=value, e.g. optim.lr=1e-5")
        merge(config, _nest(key.strip(), _parse_value(value)))
    validate(config, preset)
    return config


def _parse_value(text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def _nest(dotted: str, value: Any) -> dict[str, Any]:
    result: Any = value
    for part in reversed(dotted.split(".")):
        result = {part: result}
    return result
