"""A patch discriminator with spectral normalisation (not in the paper; after Real-ESRGAN, Wang et al. 2021).

The paper's D (:mod:`.discriminator`) ends in two dense layers and returns one logit per image. This one keeps
its eight 3x3 convolutions (the same (channels, stride) table, widths scaled by ``channels / 64``) but ends in a
3x3 convolution to one channel: a *map* of logits, one per 16 x 16 block of the input, each judging the
93 x 93 pixels it sees. The losses average over the map, so every region of a crop gets its own verdict, and
any input size whose sides are multiples of 16 is accepted. Spectral normalisation (Miyato et al., ICLR
2018) on every convolution but the first replaces BatchNorm, as in Real-ESRGAN's discriminator: it bounds
each layer's Lipschitz constant, which keeps D's gradients to G from exploding, and without BatchNorm D's
verdict on one crop does not depend on the rest of the batch.
"""
from __future__ import annotations

from torch import Tensor, nn
from torch.nn.utils.parametrizations import spectral_norm

from ..errors import ConfigError
from .discriminator import PAPER_LAYERS


class PatchDiscriminator(nn.Module):
    """Convolutions of the paper's D with spectral normalisation instead of BatchNorm, and a logit per patch.

    Args:
        layers: (channels, stride) per 3x3 conv; the paper's table by default (see :func:`srgan_lite.models.discriminator.scaled_layers`).
    """

    def __init__(self, *, layers: tuple[tuple[int, int], ...] = PAPER_LAYERS) -> None:
        super().__init__()
        self.reduction = 1
        convs: list[nn.Module] = []
        in_channels = 3
        for index, (out_channels, stride) in enumerate(layers):
            conv = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1)
            convs += [conv if index == 0 else spectral_norm(conv), nn.LeakyReLU(0.2, inplace=True)]
            in_channels, self.reduction = out_channels, self.reduction * stride
        self.features = nn.Sequential(*convs)
        self.head = spectral_norm(nn.Conv2d(in_channels, 1, 3, padding=1))

    def forward(self, x: Tensor) -> Tensor:
        """Logits of shape (N, H / 16, W / 16) for images (N, 3, H, W) in [-1, 1]."""
        if x.shape[-2] % self.reduction or x.shape[-1] % self.reduction:
            raise ConfigError(f"PatchDiscriminator takes sides that are multiples of {self.reduction}, got "
                              f"{x.shape[-2]}x{x.shape[-1]}")
        return self.head(self.features(x)).squeeze(1)
