"""Super-resolving whole images: uint8 in, uint8 out, in bounded memory, in fp32 or bf16.

Tiling cuts the LR image into ``tile x tile`` pieces, runs each with ``overlap`` extra LR pixels of
context on every side, and keeps only the centre. When ``overlap`` covers the generator's receptive-field
radius (:func:`receptive_radius`: the model's own ``receptive_radius()``, 40 LR pixels for the paper's
SRResNet, 15 per RRDB + 4 for ESRGAN's x4 RRDBNet) the result equals the untiled one up to float rounding. ``tile=None`` picks the tile from a memory budget (:func:`choose_tile`).

Precision: ``"fp32"`` (exact; no TF32 in cuDNN's convolutions), ``"bf16"`` (autocast; SR images within
a few uint8 levels of fp32), or ``"auto"``: bf16 where the hardware runs it fast, i.e. CUDA devices of
compute capability 8.0 or newer (A100, H100, H200, RTX 30xx+) and CPUs with AVX512-BF16 or AMX (oneDNN's
bf16 kernels), fp32 elsewhere. Both run channels_last (NHWC), which oneDNN and cuDNN prefer (fp32 on the
2-core development CPU: about 1.15x faster). The library functions default to fp32 (the registry's
scores are fp32); the ``upscale`` command defaults to auto.
"""
from __future__ import annotations

import math
import os
import re
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from .data.convert import image_to_tensor, signed_to_unit, tensor_to_image
from .errors import ConfigError
from .models.architectures import build_generator
from .models.srresnet import GeneratorConfig

PRECISIONS = ("fp32", "bf16", "auto")
#: Fraction of the free memory that a default budget (``max_memory=None``) takes.
DEFAULT_MEMORY_FRACTION = 0.5
#: Smallest tile :func:`choose_tile` accepts, in LR pixels (below it the overlap is nearly all the work).
MIN_TILE = 16
_UNITS = {"": 1, "b": 1, "k": 10**3, "kb": 10**3, "m": 10**6, "mb": 10**6, "g": 10**9, "gb": 10**9,
          "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40, "tb": 10**12}


def _config(model: nn.Module) -> GeneratorConfig:
    """The generator's architecture (a model without ``.config`` is taken for the paper's SRResNet x4)."""
    return getattr(model, "config", None) or GeneratorConfig()


def receptive_radius(model: nn.Module | GeneratorConfig) -> int:
    """Radius, in LR pixels, of the region of the input that one output pixel depends on.

    The generator's own ``receptive_radius()`` (:meth:`srgan_lite.SRResNet.receptive_radius`,
    :meth:`srgan_lite.models.RRDBNet.receptive_radius`); for a config, that of the network it describes.
    """
    if isinstance(model, GeneratorConfig):
        with torch.device("meta"):  # the layers without their weights: nothing is allocated
            model = build_generator(model)
    if not hasattr(model, "receptive_radius"):
        return receptive_radius(_config(model))
    return model.receptive_radius()


def _run(model: nn.Module, lr: Tensor) -> Tensor:
    return signed_to_unit(model(lr).float()).clamp_(0.0, 1.0)


# ----------------------------------------------------------------------------- precision and memory
@lru_cache(maxsize=1)
def _cpu_flags() -> frozenset[str]:
    try:
        with open("/proc/cpuinfo") as f:
            return frozenset(next((line.split(":", 1)[1].split() for line in f if line.startswith("flags")), []))
    except OSError:
        return frozenset()


def fast_bf16(device: torch.device) -> bool:
    """Whether bf16 convolutions run faster than fp32 here (CUDA capability >= 8.0; CPU AVX512-BF16 or AMX)."""
    if device.type == "cuda":
        return torch.cuda.get_device_capability(device)[0] >= 8
    return device.type == "cpu" and bool(_cpu_flags() & {"avx512_bf16", "amx_bf16"})


def resolve_precision(precision: str, device: torch.device) -> str:
    """``fp32`` or ``bf16``: ``auto`` resolved for ``device`` (see the module docstring)."""
    if precision not in PRECISIONS:
        raise ConfigError(f"--precision {precision!r} is unknown: use fp32, bf16 or auto")
    if precision == "auto":
        return "bf16" if fast_bf16(device) else "fp32"
    return precision


@contextmanager
def _precision(device: torch.device, precision: str):
    """bf16 autocast, or true fp32 (no TF32 in cuDNN's convolutions) for the block inside."""
    if precision == "bf16":
        with torch.autocast(device.type, dtype=torch.bfloat16):
            yield
        return
    tf32 = torch.backends.cudnn.allow_tf32
    torch.backends.cudnn.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cudnn.allow_tf32 = tf32


def free_memory(device: str | torch.device) -> int:
    """Bytes free for new tensors: CUDA's free memory plus its allocator's unused cache; a CPU's MemAvailable."""
    device = torch.device(device)
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return int(free + torch.cuda.memory_reserved(device) - torch.cuda.memory_allocated(device))
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except ImportError:
        pass
    try:
        with open("/proc/meminfo") as f:
            return next(int(line.split()[1]) * 1024 for line in f if line.startswith("MemAvailable:"))
    except (OSError, StopIteration):
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def parse_bytes(text: str | int) -> int:
    """``"512MiB"``, ``"2GiB"``, ``"1.5GB"`` or plain bytes -> bytes (KiB/MiB/GiB binary, KB/MB/GB decimal)."""
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([a-zA-Z]*)\s*", str(text))
    unit = match.group(2).lower() if match else None
    if unit not in _UNITS or float(match.group(1)) * _UNITS[unit] < 1:
        raise ConfigError(f"--max-memory {text!r}: expected a positive size such as 512MiB, 2GiB or 1000000 (bytes)")
    return int(float(match.group(1)) * _UNITS[unit])


@torch.no_grad()
def activation_bytes_per_pixel(model: nn.Module, *, precision: str = "fp32", probe: int = 32) -> float:
    """Bytes per LR pixel that one forward pass of ``model`` holds at its peak.

    On CUDA it is measured: the growth of the allocator's peak from a 2 ``probe`` to a 4 ``probe``
    square input, per added pixel (fixed costs such as cuDNN workspaces cancel). On a CPU it is
    estimated from forward hooks: three times the largest layer output (a layer's input and output
    live together, plus the copy the next layer makes; for the paper's SRResNet the largest is the
    last 256-channel convolution at 2x, 4 KiB per LR pixel), counted at 4 bytes per value in bf16
    too: oneDNN's bf16 path measured ~9 KiB per LR pixel of peak RSS here, not half of fp32's ~12.
    """
    device = next(model.parameters()).device
    precision = resolve_precision(precision, device)
    probe_input = lambda side: torch.rand(1, 3, side, side, device=device).contiguous(memory_format=torch.channels_last)  # noqa: E731
    if device.type == "cuda":
        peaks = []
        for side in (2 * probe, 4 * probe):
            torch.cuda.synchronize(device)
            torch.cuda.reset_peak_memory_stats(device)
            start = torch.cuda.memory_allocated(device)
            with _precision(device, precision):
                _run(model, probe_input(side))
            torch.cuda.synchronize(device)
            peaks.append(torch.cuda.max_memory_allocated(device) - start)
        return max(peaks[1] - peaks[0], 0) / (12 * probe**2) or peaks[1] / (16 * probe**2)
    largest = [0]

    def hook(module: nn.Module, args, out) -> None:
        if isinstance(out, Tensor):
            largest[0] = max(largest[0], out.numel() * max(out.element_size(), 4))

    handles = [m.register_forward_hook(hook) for m in model.modules() if not list(m.children())]
    try:
        with _precision(device, precision):
            _run(model, probe_input(probe))
    finally:
        for handle in handles:
            handle.remove()
    return 3 * largest[0] / probe**2


def choose_tile(model: nn.Module, shape: tuple[int, ...], *, max_memory: int | None = None, precision: str = "fp32",
                overlap: int | None = None) -> int:
    """The LR tile for an (N, 3, h, w) input within ``max_memory`` bytes: 0 (whole image) if it fits.

    ``max_memory`` None = :data:`DEFAULT_MEMORY_FRACTION` of :func:`free_memory`. Otherwise the tile is the
    largest multiple of 8 whose window (tile + 2 overlap)^2 fits beside the SR output, shrunk to split
    the image into equal tiles (same count, less overlap work).
    """
    device = next(model.parameters()).device
    config = _config(model)
    n, _, h, w = shape
    overlap = receptive_radius(model) if overlap is None else overlap
    budget = int(DEFAULT_MEMORY_FRACTION * free_memory(device)) if max_memory is None else int(max_memory)
    per_pixel = n * activation_bytes_per_pixel(model, precision=precision)
    left = budget - n * 3 * h * w * config.scale**2 * 5  # the fp32 SR output and its uint8 copy
    if h * w * per_pixel <= left:
        return 0
    tile = (math.isqrt(max(int(left / per_pixel), 0)) - 2 * overlap) // 8 * 8
    if tile < MIN_TILE:
        need = (MIN_TILE + 2 * overlap) ** 2 * per_pixel + budget - left
        raise ConfigError(f"--max-memory {budget / 2**20:.0f}MiB is too small for a {w}x{h} image: tiles need "
                          f"about {need / 2**20:.0f}MiB; give more, or use a smaller image")
    count = max(math.ceil(h / tile), math.ceil(w / tile))
    return min(tile, math.ceil(max(h, w) / count / 8) * 8)


# ----------------------------------------------------------------------------- super-resolving
@torch.no_grad()
def upscale_tensor(model: nn.Module, lr: Tensor, *, tile: int | None = 0, overlap: int | None = None,
                   precision: str = "fp32", max_memory: int | None = None) -> Tensor:
    """LR (N, 3, h, w) in [0, 1] -> SR (N, 3, s*h, s*w) in [0, 1] (float32, not yet quantised).

    Args:
        model: a generator with a ``.config`` (SRResNet, RRDBNet; in eval mode; it is not changed).
        tile: LR tile size; 0 processes the whole image at once; None chooses it from ``max_memory``
            (:func:`choose_tile`).
        overlap: LR context pixels around each tile; default :func:`receptive_radius`.
        precision: ``fp32``, ``bf16`` or ``auto`` (see the module docstring).
        max_memory: the budget in bytes for ``tile=None``; None = half the free memory.
    """
    config = _config(model)
    precision = resolve_precision(precision, lr.device)
    if tile is None:
        tile = choose_tile(model, tuple(lr.shape), max_memory=max_memory, precision=precision, overlap=overlap)
    if tile < 0:
        raise ConfigError(f"--tile {tile} must be >= 0 (0 = no tiling)")
    lr = lr.contiguous(memory_format=torch.channels_last)
    _, _, h, w = lr.shape
    with _precision(lr.device, precision):
        if tile == 0 or (tile >= h and tile >= w):
            return _run(model, lr)
        overlap = receptive_radius(model) if overlap is None else overlap
        if overlap < 0:
            raise ConfigError(f"--tile-overlap {overlap} must be >= 0")
        s = config.scale
        out = lr.new_empty(lr.shape[0], 3, h * s, w * s, dtype=torch.float32)
        for top in range(0, h, tile):
            for left in range(0, w, tile):
                bottom, right = min(top + tile, h), min(left + tile, w)
                y0, x0 = max(top - overlap, 0), max(left - overlap, 0)
                y1, x1 = min(bottom + overlap, h), min(right + overlap, w)
                sr = _run(model, lr[:, :, y0:y1, x0:x1])
                out[:, :, top * s:bottom * s, left * s:right * s] = sr[
                    :, :, (top - y0) * s:(bottom - y0) * s, (left - x0) * s:(right - x0) * s
                ]
    return out


def super_resolve(model: nn.Module, image: np.ndarray, *, tile: int | None = 0, overlap: int | None = None,
                  precision: str = "fp32", max_memory: int | None = None) -> np.ndarray:
    """RGB uint8 LR image (h, w, 3) -> RGB uint8 SR image (s*h, s*w, 3), on the model's device.

    ``tile``, ``overlap``, ``precision`` and ``max_memory``: see :func:`upscale_tensor`.
    """
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    try:
        sr = upscale_tensor(model, image_to_tensor(image).to(device), tile=tile, overlap=overlap,
                            precision=precision, max_memory=max_memory)
    finally:
        model.train(was_training)
    return tensor_to_image(sr)


def upscale(image, model: nn.Module | str = "srresnet_x4", *, tile: int | None = 0, overlap: int | None = None,
            precision: str = "fp32", max_memory: int | None = None) -> np.ndarray:
    """Super-resolve one image: a path, a PIL image or an RGB uint8 array (any mode is converted).

    Args:
        image: the LR image.
        model: a generator, a registered weights name, or a ``.safetensors`` file.
        tile, overlap, precision, max_memory: see :func:`upscale_tensor`.

    Returns:
        The SR image as an RGB uint8 array, ``scale`` times larger.
    """
    from .data.crops import read_image

    if isinstance(model, (str, os.PathLike)):
        from .models.pretrained import load_pretrained

        model = load_pretrained(model)
    if isinstance(image, (str, os.PathLike)):
        image = read_image(image)
    elif not isinstance(image, np.ndarray):  # PIL
        image = np.asarray(image.convert("RGB"))
    return super_resolve(model, image, tile=tile, overlap=overlap, precision=precision, max_memory=max_memory)


def output_path(source: Path, out: Path | None, single: bool, scale: int) -> Path:
    """Where ``upscale`` writes a result: ``-o`` file for one input, else ``<out or source dir>/<stem>_x4.png``."""
    if out is not None and single and out.suffix.lower() in (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"):
        return out
    folder = out if out is not None else source.parent
    return folder / f"{source.stem}_x{scale}.png"


def collect_inputs(inputs: list[str | os.PathLike]) -> list[Path]:
    """Expand folders into their images; name a missing input in a one-line error."""
    from .data.crops import list_images

    paths: list[Path] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            paths.extend(list_images(path))
        elif path.is_file():
            paths.append(path)
        else:
            raise ConfigError(f"input {path} does not exist")
    if not paths:
        raise ConfigError(f"no images found in {', '.join(map(str, inputs))}")
    return paths
