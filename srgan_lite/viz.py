"""Figures for the book: image panels with zoomed insets, training curves, feature-map grids.

Only drawing lives here (no model, loss, metric or resize code). Every function returns the
matplotlib ``Figure`` it drew, so a notebook cell can end with ``plt.show()`` and stored outputs
stay deterministic. Images may be RGB ``uint8`` arrays (H, W, 3), grey arrays (H, W), or float
tensors/arrays in [0, 1] shaped (3, H, W), (1, 3, H, W), (H, W, 3) or (H, W).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

#: Colour of zoom rectangles and inset frames (visible on most photos).
ZOOM_COLOR = "#ff3b30"


def to_display(image: Any) -> np.ndarray:
    """Any supported image -> a NumPy array for ``imshow``: (H, W, 3) or (H, W), uint8 or float in [0, 1]."""
    if hasattr(image, "detach"):  # a torch tensor, without importing torch here
        image = image.detach().float().cpu().numpy()
    array = np.asarray(image)
    if array.ndim == 4:
        if array.shape[0] != 1:
            raise ValueError(f"expected a single image, got a batch of {array.shape[0]}")
        array = array[0]
    if array.ndim == 3 and array.shape[0] in (1, 3) and array.shape[-1] not in (1, 3):
        array = np.moveaxis(array, 0, -1)  # CHW -> HWC
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3):
        raise ValueError(f"cannot display an array of shape {array.shape}")
    if array.dtype == np.uint8:
        return array
    return np.clip(array.astype(np.float32), 0.0, 1.0)


def _grey_kwargs(array: np.ndarray) -> dict[str, Any]:
    if array.ndim != 2:
        return {}
    return {"cmap": "gray", "vmin": 0, "vmax": 255 if array.dtype == np.uint8 else 1}


def show_images(
    images: Sequence[Any],
    titles: Sequence[str] | None = None,
    *,
    zoom_box: tuple[int, int, int, int] | None = None,
    figsize: tuple[float, float] | None = None,
    suptitle: str | None = None,
    inset_size: float = 0.45,
    inset_corner: str = "lower right",
    axis_labels: bool = False,
) -> Figure:
    """Side-by-side panels, each with the same region zoomed in an inset.

    Panels of different sizes (an LR image beside its HR original) are drawn over the same extent
    with nearest-neighbour interpolation, so LR pixels show as blocks, as a reader would see them
    when the LR image is enlarged.

    Args:
        images: the images (see the module docstring for the accepted kinds).
        titles: one per image.
        zoom_box: ``(x, y, w, h)`` in pixels of the *largest* image; scaled to each smaller image.
            None draws no inset.
        figsize: matplotlib figure size; about 3.2 inches per panel by default.
        suptitle: a title over all panels.
        inset_size: inset width and height as a fraction of the panel.
        inset_corner: ``"lower right"``, ``"lower left"``, ``"upper right"`` or ``"upper left"``.
        axis_labels: label axes with pixel coordinates (x, y) instead of hiding the ticks.
    """
    arrays = [to_display(image) for image in images]
    if not arrays:
        raise ValueError("show_images needs at least one image")
    if titles is not None and len(titles) != len(arrays):
        raise ValueError(f"{len(titles)} titles for {len(arrays)} images")
    big_h = max(a.shape[0] for a in arrays)
    big_w = max(a.shape[1] for a in arrays)
    n = len(arrays)
    fig, axes = plt.subplots(1, n, figsize=figsize or (3.2 * n, 3.4), squeeze=False, layout="constrained")
    corners = {
        "lower right": [1 - inset_size, 0.0], "lower left": [0.0, 0.0],
        "upper right": [1 - inset_size, 1 - inset_size], "upper left": [0.0, 1 - inset_size],
    }
    if inset_corner not in corners:
        raise ValueError(f"inset_corner must be one of {sorted(corners)}")
    for index, (ax, array) in enumerate(zip(axes[0], arrays)):
        h, w = array.shape[:2]
        extent = (-0.5, big_w - 0.5, big_h - 0.5, -0.5)  # every panel spans the largest image's pixels
        ax.imshow(array, interpolation="nearest", extent=extent, **_grey_kwargs(array))
        ax.set_xlim(-0.5, big_w - 0.5)
        ax.set_ylim(big_h - 0.5, -0.5)
        if titles is not None:
            ax.set_title(titles[index], fontsize=10)
        if axis_labels:
            ax.set_xlabel("x (pixels)")
            ax.set_ylabel("y (pixels)")
        else:
            ax.set_xticks([])
            ax.set_yticks([])
        if zoom_box is None:
            continue
        x, y, bw, bh = zoom_box
        sx, sy = w / big_w, h / big_h
        crop = array[int(round(y * sy)): int(round((y + bh) * sy)), int(round(x * sx)): int(round((x + bw) * sx))]
        ax.add_patch(Rectangle((x - 0.5, y - 0.5), bw, bh, fill=False, edgecolor=ZOOM_COLOR, linewidth=1.5))
        inset = ax.inset_axes([*corners[inset_corner], inset_size, inset_size])
        inset.imshow(crop, interpolation="nearest", **_grey_kwargs(crop))
        inset.set_xticks([])
        inset.set_yticks([])
        for spine in inset.spines.values():
            spine.set_edgecolor(ZOOM_COLOR)
            spine.set_linewidth(2)
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def _as_series(history: Any, keys: Sequence[str] | None) -> dict[str, list[float]]:
    """Normalise a history to {label: values}."""
    if isinstance(history, Mapping):
        series = {str(k): [float(v) for v in values] for k, values in history.items()}
    elif isinstance(history, Sequence) and history and isinstance(history[0], Mapping):
        names = keys or [k for k in history[0] if k != "step"]
        series = {k: [float(record[k]) for record in history if k in record] for k in names}
        return series
    else:
        raise TypeError("history must be a dict of sequences or a list of dicts (one per step)")
    if keys is not None:
        series = {k: series[k] for k in keys}
    return series


def _smooth(values: np.ndarray, window: int) -> np.ndarray:
    if window <= 1 or len(values) < window:
        return values
    kernel = np.ones(window) / window
    valid = np.convolve(values, kernel, mode="valid")
    return np.concatenate([np.cumsum(values[: window - 1]) / np.arange(1, window), valid])


def plot_curves(
    history: Any,
    keys: Sequence[str] | None = None,
    *,
    steps: Sequence[float] | None = None,
    xlabel: str = "training step",
    ylabel: str = "loss",
    title: str | None = None,
    logy: bool = False,
    smooth: int = 1,
    ax: Axes | None = None,
    figsize: tuple[float, float] = (6.4, 3.6),
) -> Figure:
    """Training curves, one line per series.

    Args:
        history: ``{label: [values...]}`` (e.g. one run per label) or a list of per-step dicts
            (``[{"step": 0, "loss": 0.3}, ...]``, then ``keys`` picks the columns and ``step``,
            if present, is the x axis).
        keys: which series to draw (all by default).
        steps: x values (defaults to the records' ``step`` or 0, 1, 2, ...).
        smooth: running-mean window; the raw curve is drawn faintly behind the smoothed one.
        logy: logarithmic y axis.
        ax: draw into an existing axes instead of a new figure.
    """
    series = _as_series(history, keys)
    if steps is None and isinstance(history, Sequence) and not isinstance(history, Mapping):
        if history and "step" in history[0]:
            steps = [float(record["step"]) for record in history]
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    else:
        fig = ax.figure
    for label, values in series.items():
        y = np.asarray(values, dtype=float)
        x = np.asarray(steps, dtype=float)[: len(y)] if steps is not None else np.arange(len(y))
        if smooth > 1:
            (raw,) = ax.plot(x, y, alpha=0.25, linewidth=0.8)
            ax.plot(x, _smooth(y, smooth), color=raw.get_color(), label=label, linewidth=1.6)
        else:
            ax.plot(x, y, label=label, linewidth=1.6)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.grid(True, alpha=0.3)
    if len(series) > 1 or (len(series) == 1 and smooth > 1):
        ax.legend(frameon=False)
    return fig


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
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    else:
        fig = ax.figure
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


def plot_bars(
    values: Mapping[str, float],
    *,
    ylabel: str,
    title: str | None = None,
    fmt: str = "{:.3g}",
    logy: bool = False,
    ax: Axes | None = None,
    figsize: tuple[float, float] = (5.0, 3.2),
) -> Figure:
    """A labelled bar chart of a few named numbers (costs, parameter counts), values on the bars."""
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    else:
        fig = ax.figure
    names = list(values)
    heights = [float(values[name]) for name in names]
    bars = ax.bar(names, heights, color=plt.rcParams["axes.prop_cycle"].by_key()["color"][: len(names)])
    for bar, height in zip(bars, heights):
        ax.annotate(fmt.format(height), (bar.get_x() + bar.get_width() / 2, height),
                    ha="center", va="bottom", fontsize=9, xytext=(0, 2), textcoords="offset points")
    if logy:
        ax.set_yscale("log")
    ax.set_ylabel(ylabel)
    ax.margins(y=0.15)
    if title:
        ax.set_title(title)
    return fig
