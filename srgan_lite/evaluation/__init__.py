"""The protocol (PSNR/SSIM on Y, shaved borders) and what PSNR misses (texture, lattices, NIQE); the paper's numbers."""
from __future__ import annotations

from .metrics import (
    DATA_RANGE,
    Y_COEFFS,
    Y_OFFSET,
    gaussian_window,
    psnr,
    psnr_image,
    psnr_ssim,
    radial_power_spectrum,
    rgb_to_y,
    spectral_energy_ratio,
    ssim,
    ssim_image,
)
from .niqe import niqe, niqe_applies, niqe_y
from .paper import PAPER_ROW, PaperScore, paper_score
from .perceptual import DISTANCE_TAPS, GRID_PERIOD, feature_distance, grid_score
from .protocol import (
    BASELINES,
    HR_REFERENCE,
    PERCEPTUAL_NOTE,
    PROTOCOL,
    TABLE_ROWS,
    EvalResult,
    evaluate,
    format_results,
    protocol_text,
)
from .texture import (
    TOP_OCTAVE,
    band_energy_ratios,
    lattice_excess,
    lattice_frequencies,
    top_octave_energy,
    top_octave_share,
)

__all__ = [
    "band_energy_ratios", "BASELINES", "DATA_RANGE", "DISTANCE_TAPS", "EvalResult", "evaluate", "feature_distance",
    "format_results", "gaussian_window", "GRID_PERIOD", "grid_score", "HR_REFERENCE", "lattice_excess",
    "lattice_frequencies", "niqe", "niqe_applies", "niqe_y", "PAPER_ROW", "paper_score", "PaperScore",
    "PERCEPTUAL_NOTE", "PROTOCOL", "protocol_text", "psnr", "psnr_image", "psnr_ssim", "radial_power_spectrum",
    "rgb_to_y", "spectral_energy_ratio", "ssim", "ssim_image", "TABLE_ROWS", "TOP_OCTAVE", "top_octave_energy",
    "top_octave_share", "Y_COEFFS", "Y_OFFSET",
]
