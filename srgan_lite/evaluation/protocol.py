"""Benchmark evaluation: the paper's Table 2 protocol (Ledig et al. 2017, Sec. 3.1 and 3.2).

For every HR image of a set: mod-crop to the scale, make the LR with MATLAB-style bicubic
(:func:`srgan_lite.data.imresize.bicubic_degrade`, bit-exact with the benchmark LR files), super-resolve
(nearest, bicubic, or a generator), round to uint8, then PSNR and SSIM on Y with ``scale`` px
shaved (:mod:`srgan_lite.evaluation.metrics`). Bicubic gives 28.43 dB / 0.8111 on Set5 and 26.00 dB / 0.7029 on Set14 with this code (the literature:
28.42 / 0.8104 and 26.00 / 0.7027; see ``tests/test_evaluate.py``).
"""
from __future__ import annotations

import csv
import io
import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn

from ..data.convert import image_to_tensor, signed_to_unit, tensor_to_image
from ..data.crops import EvalImages
from ..data.datasets import canonical_name, resolve_dataset, skimage_photos
from ..data.imresize import bicubic_degrade, imresize_uint8, modcrop
from ..data.textures import TEXTURE_PREFIX, texture_set
from ..errors import ConfigError
from ..utils import grey_to_rgb, pick_device
from .metrics import psnr_ssim


def protocol_text(scale: int = 4) -> str:
    """The evaluation protocol in words, to print next to every number."""
    return (f"Y channel (BT.601, MATLAB rgb2ycbcr), {scale} px border shaved, uint8, MATLAB bicubic LR from HR "
            f"mod-cropped to {scale}; single-channel images compared on their gray values")


PROTOCOL = protocol_text(4)
BASELINES = ("nearest", "bicubic")


@dataclass
class EvalResult:
    """Mean and per-image scores of one model on one set."""

    dataset: str
    model: str
    psnr_y: float
    ssim_y: float
    n_images: int
    per_image: list[dict] = field(default_factory=list)
    protocol: str = PROTOCOL
    scale: int = 4
    seconds: float = 0.0
    feature_distance: float | None = None
    hf_ratio: float | None = None
    grid_score: float | None = None
    top_octave: float | None = None
    mid_band: float | None = None
    lattice_excess: float | None = None
    niqe: float | None = None
    niqe_hr: float | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def _images(dataset, data_dir, download: bool) -> tuple[str, EvalImages | list]:
    if isinstance(dataset, str) and dataset.startswith(TEXTURE_PREFIX):  # the held-out tiles of one texture
        return dataset, EvalImages(texture_set(dataset, "test"), keep_gray=True)
    if isinstance(dataset, (str, os.PathLike)):
        name = canonical_name(dataset) if isinstance(dataset, str) else None
        if name == "skimage":
            return name, skimage_photos()
        folder = resolve_dataset(dataset, data_dir, download=download)
        return name or (folder.parent.name if folder.name == "HR" else folder.name), EvalImages(folder, keep_gray=True)
    return "custom", EvalImages(list(dataset), keep_gray=True)


def _model(model, device: torch.device, scale: int) -> tuple[str, nn.Module | str]:
    if isinstance(model, str) and model in BASELINES:
        return model, model
    if isinstance(model, (str, os.PathLike)):
        from ..models.pretrained import load_pretrained

        name, model = Path(str(model)).stem if os.sep in str(model) else str(model), load_pretrained(model, device=device)
    elif isinstance(model, nn.Module):
        name = type(model).__name__
    else:
        raise ConfigError(f"model must be 'nearest', 'bicubic', a weights name/file or an nn.Module, got {type(model).__name__}")
    model_scale = getattr(getattr(model, "config", None), "scale", scale)
    if model_scale != scale:
        raise ConfigError(f"the model upscales x{model_scale} but the evaluation is at x{scale}")
    return name, model


def _super_resolve(model: nn.Module | str, lr: np.ndarray, scale: int, device: torch.device) -> torch.Tensor:
    """(1, 3, sH, sW) float in [0, 1] on ``device``."""
    if model == "nearest":
        return image_to_tensor(lr.repeat(scale, axis=0).repeat(scale, axis=1)).to(device)
    if model == "bicubic":
        return image_to_tensor(imresize_uint8(lr, scale)).to(device)
    param = next(model.parameters(), None)
    x = image_to_tensor(lr).to(device, param.dtype if param is not None else torch.float32)
    return signed_to_unit(model(x)).float().clamp(0.0, 1.0)


@torch.no_grad()
def evaluate(
    model: str | nn.Module,
    dataset: str | os.PathLike | list[tuple[str, np.ndarray]],
    *,
    data_dir: str | os.PathLike | None = None,
    scale: int = 4,
    device: str | torch.device = "auto",
    save_images: str | os.PathLike | None = None,
    download: bool = False,
    perceptual: bool = False,
    name: str | None = None,
) -> EvalResult:
    """Score a model on a set with the paper's protocol, one image at a time.

    Args:
        model: ``"nearest"``, ``"bicubic"`` (MATLAB ``imresize`` x``scale`` of the uint8 LR), a
            registered weights name or ``.safetensors`` file, or a generator (LR [0, 1] -> [-1, 1]).
        dataset: a registered name (``Set5``, ``Set14``, ``BSD100``, ``Urban100``, ``skimage``, ...),
            ``texture:NAME`` (the held-out tiles of a texture, :mod:`srgan_lite.data.textures`), a folder of HR
            images, or a list of (name, HR uint8 array); (H, W) arrays count as gray.
        data_dir: dataset root, see :func:`srgan_lite.data.datasets.data_root`.
        scale: the upscaling factor; also the border shaved before scoring.
        device: ``"auto"`` (CUDA if available), ``"cpu"``, ``"cuda"``, ...
        save_images: folder to write the SR images to (``<name>.png``).
        download: fetch a registered set that is not on disk.
        perceptual: also measure what PSNR misses (:mod:`srgan_lite.evaluation.perceptual`, ``.texture``,
            ``.niqe``): the uncalibrated LPIPS-style feature distance (mean), the high-frequency power ratio
            SR/HR (mean), the grid score (geometric mean over images; 1 = as much 4-/2-pixel grid as HR),
            the top-octave energy and the band below it (SR/HR, means), the lattice excess (mean; 0 = as
            in HR) and NIQE of SR and of HR (``niqe_hr``) on the same shaved Y (means). Measures an image
            is too small for (grid, lattice: 16 periods a side; NIQE: two 96 px blocks) are left out of
            the means, None when no image qualifies.
        name: the model's label in the result and in :func:`format_results` (default: the weights name or file
            stem, the baseline's name, or the network's class).
    """
    device = pick_device(device)
    dataset_name, images = _images(dataset, data_dir, download)
    model_name, net = _model(model, device, scale)
    model_name = name or model_name
    was_training = isinstance(net, nn.Module) and net.training
    if isinstance(net, nn.Module):
        net.eval()
    out_dir = Path(save_images) if save_images is not None else None
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
    started, rows = time.perf_counter(), []
    try:
        for name, hr in images:
            hr = modcrop(hr, scale)
            gray = hr.ndim == 2
            hr_rgb = grey_to_rgb(hr)
            hr_rgb = hr_rgb if hr_rgb.flags.writeable else hr_rgb.copy()  # torch.from_numpy wants writable memory
            sr = _super_resolve(net, bicubic_degrade(hr_rgb, scale), scale, device)
            target = image_to_tensor(hr_rgb).to(device)
            if sr.shape != target.shape:
                raise ConfigError(f"{model_name} turned {name} into {tuple(sr.shape)}, expected {tuple(target.shape)}")
            p, s = (float(v[0]) for v in psnr_ssim(sr, target, shave=scale, full_range=gray))
            rows.append({"name": name, "psnr_y": p, "ssim_y": s, "height": hr.shape[0], "width": hr.shape[1], "grayscale": gray})
            if perceptual:
                rows[-1].update(_perceptual_scores(sr, target, scale, gray))
            if out_dir is not None:
                Image.fromarray(tensor_to_image(sr)).save(out_dir / f"{name}.png")
    finally:
        if was_training:
            net.train()
    if not rows:
        raise ConfigError(f"dataset {dataset_name} has no images to evaluate")
    extra = {}
    if perceptual:
        extra = {"feature_distance": float(np.mean([r["feature_distance"] for r in rows])),
                 "hf_ratio": float(np.mean([r["hf_ratio"] for r in rows])),
                 "grid_score": _geometric_mean([r["grid_score"] for r in rows]),
                 **{key: _mean([r[key] for r in rows]) for key in ("top_octave", "mid_band", "lattice_excess", "niqe",
                                                                     "niqe_hr")}}
    return EvalResult(
        dataset=dataset_name, model=model_name, **extra,
        psnr_y=float(np.mean([r["psnr_y"] for r in rows])), ssim_y=float(np.mean([r["ssim_y"] for r in rows])),
        n_images=len(rows), per_image=rows, protocol=protocol_text(scale), scale=scale,
        seconds=time.perf_counter() - started,
    )


def _mean(values: list[float]) -> float | None:
    """Mean of the finite values (NaN: an image too small for the measure); None if none."""
    finite = [v for v in values if np.isfinite(v)]
    return float(np.mean(finite)) if finite else None


def _geometric_mean(values: list[float]) -> float | None:
    """Geometric mean of the finite values (images too small for the grid score are left out); None if none."""
    finite = [v for v in values if np.isfinite(v)]
    return float(np.exp(np.mean(np.log(finite)))) if finite else None


def _perceptual_scores(sr: torch.Tensor, hr: torch.Tensor, scale: int, gray: bool) -> dict[str, float]:
    from ..data.convert import quantize
    from .metrics import spectral_energy_ratio
    from .niqe import niqe, niqe_applies
    from .perceptual import MIN_PERIODS, feature_distance, grid_score
    from .texture import lattice_excess, top_octave_energy

    nan = float("nan")
    h, w = (side - 2 * scale for side in sr.shape[-2:])
    # grid and lattice need MIN_PERIODS periods a side to resolve the spikes from their neighbours
    periodic = min(h, w) >= MIN_PERIODS * scale
    top, mid = (float(v[0]) for v in top_octave_energy(sr, hr, scale=scale, full_range=gray))
    niqe_sr, niqe_hr = ((float(niqe(x, shave=scale, full_range=gray)[0]) for x in (sr, hr)) if niqe_applies(h, w)
                        else (nan, nan))
    if not np.isfinite(niqe_sr + niqe_hr):  # NaN for a flat image: keep SR's and HR's means over the same images
        niqe_sr = niqe_hr = nan
    return {"feature_distance": float(feature_distance(quantize(sr), hr, shave=scale)[0]),
            "hf_ratio": float(spectral_energy_ratio(sr, hr, scale=scale, shave=scale, full_range=gray)[0]),
            "grid_score": float(grid_score(sr, hr, scale=scale, shave=scale, full_range=gray)[0]) if periodic else nan,
            "top_octave": top, "mid_band": mid,
            "lattice_excess": float(lattice_excess(sr, hr, scale=scale, full_range=gray)[0]) if periodic else nan,
            "niqe": niqe_sr, "niqe_hr": niqe_hr}


#: Rows of the text table: (label, EvalResult field, format). The grid score gets one decimal: it divides by the
#: median of a few spectral bins, and its second decimal differs between CPUs (8.37 on AVX2, 8.38 with AVX-512).
TABLE_ROWS = (("PSNR", "psnr_y", "{:.2f}"), ("SSIM", "ssim_y", "{:.4f}"), ("FeatDist*", "feature_distance", "{:.4f}"),
              ("HF ratio", "hf_ratio", "{:.3f}"), ("Grid", "grid_score", "{:.1f}"), ("TopOct", "top_octave", "{:.3f}"),
              ("MidBand", "mid_band", "{:.3f}"), ("Lattice", "lattice_excess", "{:+.2f}"), ("NIQE", "niqe", "{:.2f}"))
#: What the HR column shows: each measure of HR against itself (1 or 0 by definition), and HR's own NIQE.
HR_REFERENCE = {"feature_distance": 0.0, "hf_ratio": 1.0, "grid_score": 1.0, "top_octave": 1.0, "mid_band": 1.0,
                "lattice_excess": 0.0}
PERCEPTUAL_NOTE = ("*FeatDist: LPIPS-style distance on EfficientNet-Lite0 features, uncalibrated (equal weights, not "
                   "LPIPS); HF ratio: power above the LR Nyquist frequency, SR/HR; Grid: 4-/2-pixel-period power "
                   "over its spectral neighbours, SR/HR (1 = as in HR); TopOct: power above 0.25 cycles/px, SR/HR; "
                   "MidBand: from the LR Nyquist frequency to 0.25, SR/HR; Lattice: log10 of the scale-px-periodic "
                   "peaks' contrast over their spectral neighbours, SR over HR (0 = as in HR); NIQE: Mittal et al. "
                   "2013, MATLAB's pristine model, lower = more natural (not calibrated for SR). HR column: HR "
                   "scored against itself, and its own NIQE")


def _table(results: list[EvalResult]) -> str:
    datasets = list(dict.fromkeys(r.dataset for r in results))
    models = list(dict.fromkeys(r.model for r in results))
    cell = {(r.dataset, r.model): r for r in results}
    perceptual = any(r.feature_distance is not None for r in results)
    header = ["Set", "Metric", *models, *(["HR"] if perceptual else [])]
    lines = []
    for d in datasets:
        # HR's NIQE is the same in every result of a set (same images, same shave)
        niqe_hr = next((r.niqe_hr for r in results if r.dataset == d and r.niqe_hr is not None), None)
        reference = {**HR_REFERENCE, "niqe": niqe_hr}
        for metric, key, fmt in TABLE_ROWS:
            values = [fmt.format(getattr(cell[d, m], key)) if (d, m) in cell and getattr(cell[d, m], key) is not None
                      else "-" for m in models]
            if key in ("psnr_y", "ssim_y") or any(v != "-" for v in values):
                hr = [fmt.format(reference[key]) if reference.get(key) is not None else "-"] if perceptual else []
                lines.append([d, metric, *values, *hr])
    widths = [max(len(row[i]) for row in [header, *lines]) for i in range(len(header))]
    fmt_row = lambda row: "  ".join(v.ljust(w) if i < 2 else v.rjust(w) for i, (v, w) in enumerate(zip(row, widths)))  # noqa: E731
    rule = "-" * len(fmt_row(header))
    protocols = list(dict.fromkeys(r.protocol for r in results))
    notes = [PERCEPTUAL_NOTE] if perceptual else []
    return "\n".join([fmt_row(header), rule, *map(fmt_row, lines), rule, *(f"Protocol: {p}" for p in protocols), *notes])


def format_results(results: EvalResult | list[EvalResult], fmt: str = "table") -> str:
    """Results as a Table-2-shaped text table (rows: set x metric, columns: models), CSV or JSON.

    JSON is one object for one result, else a list; each holds dataset, model, psnr_y, ssim_y,
    n_images, per_image, protocol, scale and seconds. CSV has one summary row per result.
    """
    results = [results] if isinstance(results, EvalResult) else list(results)
    if fmt == "table":
        return _table(results)
    if fmt == "json":
        dicts = [r.to_dict() for r in results]
        return json.dumps(dicts[0] if len(dicts) == 1 else dicts, indent=2)
    if fmt == "csv":
        buffer = io.StringIO()
        keys = ["dataset", "model", "psnr_y", "ssim_y", "feature_distance", "hf_ratio", "grid_score", "top_octave",
                "mid_band", "lattice_excess", "niqe", "niqe_hr", "n_images", "scale", "seconds", "protocol"]
        writer = csv.DictWriter(buffer, keys, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for r in results:
            writer.writerow({**r.to_dict(), "psnr_y": f"{r.psnr_y:.4f}", "ssim_y": f"{r.ssim_y:.6f}", "seconds": f"{r.seconds:.2f}"})
        return buffer.getvalue()
    raise ConfigError(f"format {fmt!r} is unknown: use 'table', 'csv' or 'json'")
