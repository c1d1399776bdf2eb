"""Networks: the paper's SRResNet and discriminator (Fig. 4), ESRGAN's RRDBNet, and the registry of shipped weights."""
from __future__ import annotations

from .blocks import ResidualBlock, SubPixelUpsampler, batchnorm_modes, icnr_
from .checkpoint import (
    atomic_write,
    average_checkpoints,
    load_checkpoint,
    load_generator,
    load_state_dict_strict,
    read_generator_file,
    save_checkpoint,
    save_generator,
)
from .discriminator import Discriminator
from .pretrained import (
    DEFAULT_WEIGHTS,
    WEIGHTS_DIR,
    history_path,
    interpolate_weights,
    load_pretrained,
    model_card,
    publish,
    read_history,
    registry,
    weights_path,
)
from .rrdbnet import RESIDUAL_SCALE, RRDB, ResidualDenseBlock, RRDBNet
from .srresnet import PAPER_CONFIG, GeneratorConfig, SRResNet, count_parameters, srresnet, upsampling_factors
