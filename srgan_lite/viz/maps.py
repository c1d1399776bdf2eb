"""Arrays drawn as pictures: feature-map grids, small grids of numbers, heat maps."""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ._common import figure_and_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def feature_grid(
    features: Any,
    *,
    channels: Sequence[int] | int = 16,
    ncols: int = 8,
    cmap: str = "viridis",
    title: str | None = None,
    panel_size: float = 1.3,
) -> Figure:
    """A grid of feature maps (one channel per panel, each with its own colour scale).

    Args:
        features: a (C, H, W) or (1, C, H, W) tensor or array.
        channels: how many channels to show (the first ones) or a list of channel indices.
        ncols: panels per row.
        title: a title over the grid.
    """
    import matplotlib.pyplot as plt

    if hasattr(features, "detach"):
        features = features.detach().float().cpu().numpy()
    array = np.asarray(features)
    if array.ndim == 4:
        array = array[0]
    if array.ndim != 3:
        raise ValueError(f"feature_grid expects (C, H, W), got shape {array.shape}")
    indices = list(range(min(channels, array.shape[0]))) if isinstance(channels, int) else list(channels)
    nrows = -(-len(indices) // ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(panel_size * ncols, panel_size * nrows + (0.4 if title else 0)),
        squeeze=False, layout="constrained",
    )
    for ax in axes.flat:
        ax.axis("off")
    for ax, channel in zip(axes.flat, indices):
        ax.imshow(array[channel], cmap=cmap, interpolation="nearest")
        ax.set_title(f"ch {channel}", fontsize=8)
    if title:
        fig.suptitle(title)
    return fig


def show_grid_values(
    arrays: Sequence[Any],
    titles: Sequence[str] | None = None,
    *,
    fmt: str = "{:g}",
    cmap: str = "tab20",
    suptitle: str | None = None,
    panel_size: float = 0.42,
    color_by: Sequence[Any] | None = None,
) -> Figure:
    """Small 2-D arrays drawn as coloured cells with their values written inside.

    Used to show where each element goes in a reshaping (e.g. ``PixelShuffle``).

    Args:
        arrays: 2-D arrays or tensors (small: every cell gets its number).
        titles: one per array.
        fmt: format of the numbers.
        cmap: colour map of the cells.
        color_by: optional arrays of the same shapes whose values choose the cell colours
            (e.g. the source channel of every output pixel); the values themselves by default.
    """
    import matplotlib.pyplot as plt

    def as_2d(a: Any) -> np.ndarray:
        if hasattr(a, "detach"):
            a = a.detach().cpu().numpy()
        a = np.asarray(a)
        if a.ndim != 2:
            raise ValueError(f"show_grid_values expects 2-D arrays, got shape {a.shape}")
        return a

    grids = [as_2d(a) for a in arrays]
    colours = [as_2d(a) for a in color_by] if color_by is not None else grids
    vmin = min(float(c.min()) for c in colours)
    vmax = max(float(c.max()) for c in colours)
    widths = [g.shape[1] for g in grids]
    height = max(g.shape[0] for g in grids)
    fig, axes = plt.subplots(
        1, len(grids), figsize=(panel_size * (sum(widths) + 1.5 * len(grids)), panel_size * height + 0.9),
        squeeze=False, gridspec_kw={"width_ratios": widths}, layout="constrained",
    )
    for index, (ax, grid, colour) in enumerate(zip(axes[0], grids, colours)):
        ax.imshow(colour, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
        for (r, c), value in np.ndenumerate(grid):
            ax.text(c, r, fmt.format(value), ha="center", va="center", fontsize=8)
        ax.set_xticks(range(grid.shape[1]))
        ax.set_yticks(range(grid.shape[0]))
        ax.tick_params(labelsize=7, length=0)
        ax.set_xticks(np.arange(-0.5, grid.shape[1]), minor=True)
        ax.set_yticks(np.arange(-0.5, grid.shape[0]), minor=True)
        ax.grid(which="minor", color="white", linewidth=1)
        ax.tick_params(which="minor", length=0)
        if titles is not None:
            ax.set_title(titles[index], fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def show_heatmap(
    array: Any,
    *,
    title: str | None = None,
    xlabel: str = "x (pixels)",
    ylabel: str = "y (pixels)",
    cmap: str = "magma",
    colorbar_label: str | None = None,
    ax: Axes | None = None,
    figsize: tuple[float, float] = (4.4, 3.8),
    log: bool = False,
) -> Figure:
    """One 2-D map (a gradient, an error, a receptive field) with labelled axes and a colour bar."""
    if hasattr(array, "detach"):
        array = array.detach().float().cpu().numpy()
    array = np.asarray(array, dtype=float)
    fig, ax = figure_and_axes(ax, figsize)
    norm = None
    if log:
        from matplotlib.colors import LogNorm

        positive = array[array > 0]
        norm = LogNorm(vmin=max(positive.min(), positive.max() * 1e-6), vmax=positive.max()) if positive.size else None
        array = np.where(array > 0, array, np.nan)
    image = ax.imshow(array, cmap=cmap, interpolation="nearest", norm=norm)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    bar = fig.colorbar(image, ax=ax, shrink=0.85)
    if colorbar_label:
        bar.set_label(colorbar_label)
    return fig
