"""The VGG19 feature extractor behind the content loss (the paper's Eq. 5, phi_{i,j}).

phi_{i,j} is "the feature map obtained by the j-th convolution (after activation) before the
i-th maxpooling layer" of VGG19 (Simonyan & Zisserman 2015). In torchvision's
``vgg19().features`` that is the ReLU after conv{i}_{j}: relu2_2 is index 8, relu5_4 index 35.

Weights:
    ``"imagenet"``: torchvision's ``VGG19_Weights.IMAGENET1K_V1``, downloaded once into the torch
    hub cache (``$TORCH_HOME/hub/checkpoints``). Nothing is fetched at import time.
    a path: a local state dict (torchvision's full VGG19 or just its ``features``).
    ``None``: random initialisation (a loss that is *not* perceptual; a warning says so).
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path

import torch
from torch import Tensor, nn

from ..errors import ConfigError, WeightsError

#: torchvision ``vgg19().features`` index of the ReLU that ends each tap (after activation).
VGG19_LAYERS: dict[str, int] = {
    "relu1_1": 1, "relu1_2": 3,
    "relu2_1": 6, "relu2_2": 8,
    "relu3_1": 11, "relu3_2": 13, "relu3_3": 15, "relu3_4": 17,
    "relu4_1": 20, "relu4_2": 22, "relu4_3": 24, "relu4_4": 26,
    "relu5_1": 29, "relu5_2": 31, "relu5_3": 33, "relu5_4": 35,
}
#: The paper's names: VGG22 = phi_{2,2}, VGG54 = phi_{5,4}.
PAPER_TAPS: dict[str, str] = {"vgg22": "relu2_2", "vgg54": "relu5_4"}

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

WeightsSpec = str | os.PathLike | None


def _hub_weights_path() -> Path:
    from torchvision.models import VGG19_Weights  # torchvision is imported where VGG is used: it costs ~3 s per process

    filename = Path(VGG19_Weights.IMAGENET1K_V1.url).name
    return Path(torch.hub.get_dir()) / "checkpoints" / filename


def _load_state_dict(weights: WeightsSpec, allow_random_fallback: bool) -> dict[str, Tensor] | None:
    if weights is None:
        warnings.warn("VGG19 built with random weights (weights=None): the content loss is not perceptual", stacklevel=3)
        return None
    if isinstance(weights, str) and weights == "imagenet":
        from torchvision.models import VGG19_Weights

        try:
            return VGG19_Weights.IMAGENET1K_V1.get_state_dict(progress=False)
        except Exception as exc:  # offline, proxy, corrupt download...
            message = (
                f"pretrained VGG19 weights are unavailable ({type(exc).__name__}: {str(exc).splitlines()[0][:120]}); "
                f"put torchvision's file at {_hub_weights_path()} or pass a local state dict (weights=PATH; on the command line --set loss.vgg_weights=PATH)"
            )
            if not allow_random_fallback:
                raise WeightsError(message) from None
            warnings.warn(f"{message}. FALLING BACK TO RANDOM VGG19 WEIGHTS: the content loss is NOT perceptual", stacklevel=3)
            return None
    path = Path(weights)
    if not path.is_file():
        raise WeightsError(f"VGG19 weights file {path} does not exist: pass 'imagenet', a state-dict file, or None")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise WeightsError(f"cannot read VGG19 weights {path}: {type(exc).__name__}: {str(exc).splitlines()[0][:160]}") from None


class VGGFeatures(nn.Module):
    """Frozen VGG19 truncated after the deepest requested tap; returns the tapped feature maps.

    Input is in the generator's range [-1, 1]; it is mapped to [0, 1] and ImageNet-normalised here,
    so callers never normalise by hand.

    Args:
        layers: tap names from :data:`VGG19_LAYERS` or :data:`PAPER_TAPS` (e.g. ``("vgg54",)``).
        weights: ``"imagenet"``, a path to a state dict, or None (random, with a warning).
        allow_random_fallback: if ``"imagenet"`` cannot be loaded, use random weights with a loud
            warning instead of raising. Off by default: never fall back silently.
    """

    def __init__(
        self,
        layers: tuple[str, ...] = ("vgg54",),
        *,
        weights: WeightsSpec = "imagenet",
        allow_random_fallback: bool = False,
    ) -> None:
        super().__init__()
        names = [PAPER_TAPS.get(name, name) for name in layers]
        unknown = [n for n in names if n not in VGG19_LAYERS]
        if unknown:
            raise WeightsError(f"unknown VGG19 layer(s) {unknown}: choose from {sorted(PAPER_TAPS) + sorted(VGG19_LAYERS)}")
        self.taps = {VGG19_LAYERS[n]: n for n in names}
        from torchvision.models.vgg import cfgs, make_layers  # lazily, as above

        state = _load_state_dict(weights, allow_random_fallback)
        self.pretrained = state is not None
        features = make_layers(cfgs["E"])  # VGG19's conv part: torchvision's vgg19().features, without the 120 M-parameter classifier
        if state is None:
            # torchvision's VGG init (make_layers alone keeps PyTorch's default, under which
            # activations shrink ~2.5x per layer: relu5_4 would be ~input-independent, the loss ~1e-16)
            for m in features.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                    nn.init.zeros_(m.bias)
        else:
            state = {k.removeprefix("features."): v for k, v in state.items() if not k.startswith("classifier.")}
            try:
                features.load_state_dict(state)
            except RuntimeError as exc:
                raise WeightsError(f"VGG19 weights {weights} do not fit torchvision's VGG19: {str(exc).splitlines()[0][:200]}") from None
        self.features = features[: max(self.taps) + 1]
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)
        self.requires_grad_(False)
        self.eval()

    def train(self, mode: bool = True) -> "VGGFeatures":
        # Always eval: VGG is a fixed measuring instrument, never trained.
        return super().train(False)

    def forward(self, x: Tensor) -> dict[str, Tensor]:
        x = ((x + 1.0) * 0.5 - self.mean) / self.std
        out: dict[str, Tensor] = {}
        for index, layer in enumerate(self.features):
            x = layer(x)
            if index in self.taps:
                out[self.taps[index]] = x
        return out


def vgg_conv_and_relu(vgg: VGGFeatures, x: Tensor, layer: str = "relu5_4") -> tuple[Tensor, Tensor]:
    """VGG19 features of ``x`` (in [-1, 1]) just before and just after the ReLU that ends ``layer``.

    ESRGAN (Sec. 3.3) computes its perceptual loss on the *pre-activation* maps (``conv5_4``),
    because after the ReLU the deep maps are sparse and lose information. ``vgg`` must tap
    ``layer`` (or a deeper layer), e.g. ``VGGFeatures(("relu5_4",))``.
    """
    index = VGG19_LAYERS[layer]
    if len(vgg.features) <= index:
        raise ConfigError(f"this VGGFeatures stops before {layer}: build it with layers=({layer!r},)")
    captured: dict[str, Tensor] = {}
    # torchvision's ReLUs work in place: copy the conv output before the ReLU overwrites it
    hook = vgg.features[index - 1].register_forward_hook(lambda m, i, o: captured.__setitem__("conv", o.clone()))
    try:
        x = ((x + 1.0) * 0.5 - vgg.mean) / vgg.std
        for layer_module in vgg.features[: index + 1]:
            x = layer_module(x)
    finally:
        hook.remove()
    return captured["conv"], x
