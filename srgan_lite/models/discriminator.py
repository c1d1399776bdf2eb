"""The discriminator network D of the paper (Ledig et al. 2017, Fig. 4, bottom).

Eight 3x3 convolutions whose (channels, stride) are given by :data:`PAPER_LAYERS`, BatchNorm after
every conv but the first, LeakyReLU(0.2); then Dense(1024), LeakyReLU(0.2), Dense(1). Strided
convolutions halve the resolution four times instead of max-pooling. D returns a *logit*; the
sigmoid lives in the loss (``BCEWithLogits``), which is numerically stable.
"""
from __future__ import annotations

from torch import Tensor, nn

from ..errors import ConfigError

#: (out_channels, stride) of the eight conv layers, read off the paper's Fig. 4.
PAPER_LAYERS: tuple[tuple[int, int], ...] = (
    (64, 1), (64, 2), (128, 1), (128, 2), (256, 1), (256, 2), (512, 1), (512, 2),
)


def scaled_layers(channels: int, layers: tuple[tuple[int, int], ...] = PAPER_LAYERS) -> tuple[tuple[int, int], ...]:
    """The (channels, stride) table with every width scaled by ``channels / 64`` (64 = the paper's first layer)."""
    if channels < 1:
        raise ConfigError(f"discriminator.channels={channels} must be at least 1 (paper: 64)")
    return tuple((max(1, width * channels // 64), stride) for width, stride in layers)


class Discriminator(nn.Module):
    """The paper's discriminator.

    Args:
        image_size: HR crop size it is built for (96 in the paper). The Dense(1024) layer's input
            is ``512 * (image_size / 16)**2`` features, which fixes the input size.
        layers: (channels, stride) per conv layer; :data:`PAPER_LAYERS` by default.
        dense_features: width of the hidden dense layer (1024 in the paper).
        adaptive_pool: if True, average-pool the last feature map to the size that
            ``image_size`` would give, so any input size is accepted (not in the paper).
    """

    def __init__(
        self,
        image_size: int = 96,
        *,
        layers: tuple[tuple[int, int], ...] = PAPER_LAYERS,
        dense_features: int = 1024,
        adaptive_pool: bool = False,
    ) -> None:
        super().__init__()
        reduction = 1
        for _, stride in layers:
            reduction *= stride
        if image_size % reduction:
            raise ConfigError(f"Discriminator image_size={image_size} must be a multiple of {reduction}")
        self.image_size = image_size
        self.feature_size = image_size // reduction

        convs: list[nn.Module] = []
        in_channels = 3
        for index, (out_channels, stride) in enumerate(layers):
            convs.append(nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1))
            if index > 0:  # the paper has no BN after the first conv
                convs.append(nn.BatchNorm2d(out_channels))
            convs.append(nn.LeakyReLU(0.2, inplace=True))
            in_channels = out_channels
        self.features = nn.Sequential(*convs)
        self.pool = nn.AdaptiveAvgPool2d(self.feature_size) if adaptive_pool else nn.Identity()
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(in_channels * self.feature_size**2, dense_features),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Linear(dense_features, 1),
        )

    def forward(self, x: Tensor) -> Tensor:
        """Logits of shape (N,) for images (N, 3, image_size, image_size) in [-1, 1]."""
        if isinstance(self.pool, nn.Identity) and tuple(x.shape[-2:]) != (self.image_size, self.image_size):
            raise ConfigError(
                f"Discriminator was built for {self.image_size}x{self.image_size} inputs, got "
                f"{x.shape[-2]}x{x.shape[-1]}: crop to that size, build it with image_size="
                f"{x.shape[-1]}, or pass adaptive_pool=True"
            )
        return self.classifier(self.pool(self.features(x))).squeeze(1)
