"""The protocol (PSNR/SSIM on Y, shaved borders) and what PSNR misses; the paper's reported numbers."""
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
from .paper import PAPER_ROW, PaperScore, paper_score
from .perceptual import DISTANCE_TAPS, GRID_PERIOD, feature_distance, grid_score
from .protocol import (
    BASELINES,
    PERCEPTUAL_NOTE,
    PROTOCOL,
    TABLE_ROWS,
    EvalResult,
    evaluate,
    format_results,
    protocol_text,
)
