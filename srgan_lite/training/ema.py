"""An exponential moving average of G's weights (``run.ema_decay``), a hook of the training loop. Not in the paper.

After every step, ``average = decay * average + (1 - decay) * G`` over G's parameters *and* buffers, so
the BatchNorm running statistics of the average belong to the averaged weights. The average starts at G's
weights after the first step (:class:`torch.optim.swa_utils.AveragedModel` copies on its first update).
When it is on, :class:`srgan_lite.training.loop.Trainer` validates and exports (``generator.safetensors``) the
average; the history's columns keep their names. Averaged weights sit on a smoother point of the loss
surface than the last iterate (Polyak & Juditsky 1992); ESRGAN-era trainers (BasicSR) keep one for SR GANs.
"""
from __future__ import annotations

from typing import Any

from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn


class GeneratorEMA(AveragedModel):
    """The average of ``generator`` with ``decay`` (in [0, 1)); ``.module`` is a generator like the original.

    Its ``state_dict`` (the averaged network and the update count) is saved in every checkpoint and restored
    on resume, so a resumed run's average continues exactly.
    """

    def __init__(self, generator: nn.Module, decay: float) -> None:
        super().__init__(generator, multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=True)
        self.decay = decay
        self.module.requires_grad_(False)  # averaged, never trained

    def after_step(self, trainer: Any) -> None:
        """The hook: fold the weights of G's latest update into the average."""
        self.update_parameters(trainer.generator)
