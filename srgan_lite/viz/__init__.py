"""Figures for the book: image panels with zoomed insets, training curves, feature-map grids, charts, spectra.

Only drawing lives here (no model, loss, metric or resize code). Every function returns the
matplotlib ``Figure`` it drew, so a notebook cell can end with ``plt.show()`` and stored outputs
stay deterministic. Images may be RGB ``uint8`` arrays (H, W, 3), grey arrays (H, W), or float
tensors/arrays in [0, 1] shaped (3, H, W), (1, 3, H, W), (H, W, 3) or (H, W).

One module per figure kind: :mod:`.images` (panels of images), :mod:`.maps` (arrays as pictures),
:mod:`.curves` (training histories and other curves), :mod:`.charts` (bars and labelled points),
:mod:`.spectra` (power spectra), :mod:`.source` (library code shown in a chapter). matplotlib is
imported by the functions that draw, not here, so
``import srgan_lite.viz`` needs no matplotlib until a figure is made.
"""
from __future__ import annotations

from ._common import ZOOM_COLOR, stretch, to_display
from .charts import plot_bars, plot_grouped_bars, plot_labelled_scatter, plot_tradeoff_path
from .curves import plot_curves, plot_gan_history, plot_lines, plot_training_run
from .images import show_image_grid, show_images, show_zoom_comparison
from .maps import feature_grid, show_grid_values, show_heatmap
from .source import show_source
from .spectra import plot_spectra

__all__ = [
    "ZOOM_COLOR", "feature_grid", "plot_bars", "plot_curves", "plot_gan_history", "plot_grouped_bars",
    "plot_labelled_scatter", "plot_lines", "plot_spectra", "plot_tradeoff_path", "plot_training_run",
    "show_grid_values", "show_heatmap", "show_image_grid", "show_images", "show_source",
    "show_zoom_comparison", "stretch",
    "to_display",
]
