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


def stretch(image: Any) -> Any:
    """Min-max stretch to [0, 1] for display (each image on its own scale; constant -> 0.5).

    For pictures of raw network outputs (random weights give arbitrary ranges); never use it on
    images whose values you want to compare with each other.
    """
    low, high = image.min(), image.max()
    span = high - low
    if float(span) < 1e-12:
        return image * 0 + 0.5
    return (image - low) / span


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


def show_image_grid(
    rows: Sequence[Sequence[Any]],
    titles: Sequence[Sequence[str]] | None = None,
    *,
    suptitle: str | None = None,
    panel_size: float = 2.6,
    fontsize: float = 9,
) -> Figure:
    """Images in a grid (one list per row), each panel at its own size with nearest-neighbour pixels.

    Unlike :func:`show_images` there are no insets; use it to line up related images, e.g. HR
    candidates in one row and their LR images below.

    Args:
        rows: a list of rows, each a list of images (rows may be shorter than the longest one).
        titles: the same shape as ``rows``.
        suptitle: a title over the grid.
        panel_size: inches per panel.
    """
    nrows, ncols = len(rows), max(len(row) for row in rows)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(panel_size * ncols, panel_size * nrows + (0.35 if suptitle else 0) + 0.25 * nrows),
        squeeze=False, layout="constrained",
    )
    for ax in axes.flat:
        ax.axis("off")
    for r, row in enumerate(rows):
        for c, image in enumerate(row):
            ax = axes[r, c]
            array = to_display(image)
            ax.imshow(array, interpolation="nearest", **_grey_kwargs(array))
            ax.axis("on")
            ax.set_xticks([])
            ax.set_yticks([])
            if titles is not None:
                ax.set_title(titles[r][c], fontsize=fontsize)
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def plot_gan_history(
    histories: Any,
    *,
    title: str | None = None,
    smooth: int = 1,
    figsize: tuple[float, float] = (10.0, 6.2),
) -> Figure:
    """An SRGAN run at a glance: D's outputs, D's loss, G's adversarial loss and the content loss.

    Four panels over the training steps: the mean of D(I^HR) (solid) and D(G(I^LR)) (dashed) with
    the line D = 1/2 where D cannot tell them apart; D's loss with its value 2 log 2 at that point;
    G's adversarial loss (Eq. 6) with log 2; the content loss (log scale). D winning shows as
    D(I^HR) -> 1, D(G(I^LR)) -> 0, D's loss -> 0 and a climbing adversarial loss.

    Args:
        histories: one run's history (a list of per-step dicts with ``step``, ``d_real``, ``d_fake``,
            ``loss_d``, ``adversarial`` and optionally ``content``, as in ``TrainResult.history``)
            or ``{label: history}`` for several runs, one colour per run.
        title: a title over the panels.
        smooth: running-mean window (raw values drawn faintly behind).
    """
    from matplotlib.lines import Line2D

    runs = dict(histories) if isinstance(histories, Mapping) else {"": histories}
    fig, axes = plt.subplots(2, 2, figsize=figsize, layout="constrained")
    (ax_d, ax_loss_d), (ax_adv, ax_content) = axes
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]

    def draw(ax: Axes, x: np.ndarray, y: np.ndarray, color: str, label: str, style: str = "-") -> None:
        if smooth > 1:
            ax.plot(x, y, style, color=color, alpha=0.25, linewidth=0.8)
            y = _smooth(y, smooth)
        ax.plot(x, y, style, color=color, label=label, linewidth=1.6)

    several = len(runs) > 1
    for index, (name, history) in enumerate(runs.items()):
        rows = [row for row in history if "d_real" in row]
        x = np.array([row["step"] for row in rows], dtype=float)
        color = colors[index % len(colors)]
        draw(ax_d, x, np.array([r["d_real"] for r in rows]), color if several else colors[0], "D($I^{HR}$)")
        draw(ax_d, x, np.array([r["d_fake"] for r in rows]), color if several else colors[1], "D(G($I^{LR}$))", "--")
        draw(ax_loss_d, x, np.array([r["loss_d"] for r in rows]), color, name)
        draw(ax_adv, x, np.array([r["adversarial"] for r in rows]), color, name)
        if all("content" in r for r in rows):
            draw(ax_content, x, np.array([r["content"] for r in rows]), color, name)
    for ax, y0, text in ((ax_d, 0.5, "D = 1/2"), (ax_loss_d, 2 * np.log(2), "2 log 2"), (ax_adv, np.log(2), "log 2")):
        ax.axhline(y0, color="0.4", linewidth=0.9, linestyle=":")
        ax.annotate(text, (0.99, y0), xycoords=("axes fraction", "data"), fontsize=8, color="0.3", ha="right",
                    va="bottom", xytext=(0, 2), textcoords="offset points",
                    bbox={"facecolor": "white", "alpha": 0.7, "edgecolor": "none", "pad": 0.5})
    ax_d.set_ylim(-0.02, 1.25)  # room above 1 for the legend
    ax_d.set_yticks(np.linspace(0.0, 1.0, 6))
    ax_d.set(title="discriminator outputs (mean over the batch)", ylabel="probability 'real'")
    ax_loss_d.set(title="discriminator loss, D's side of Eq. (2)", ylabel="loss")
    ax_adv.set(title="adversarial loss of G, Eq. (6)", ylabel="$-\\log D(G(I^{LR}))$")
    ax_content.set(title="content loss $l^{SR}_X$", ylabel="loss (log scale)")
    ax_content.set_yscale("log")
    for ax in axes.flat:
        ax.set_xlabel("training step")
        ax.grid(True, alpha=0.3)
    if several:  # line styles in the panel, one colour per run below the figure
        styles = [Line2D([], [], color="0.2", linestyle=ls) for ls in ("-", "--")]
        ax_d.legend(styles, ["D($I^{HR}$)", "D(G($I^{LR}$))"], frameon=False, fontsize=8, loc="upper center", ncols=2)
        handles = [Line2D([], [], color=colors[i % len(colors)], linewidth=1.6) for i in range(len(runs))]
        fig.legend(handles, list(runs), loc="outside lower center", ncols=len(runs), frameon=False, fontsize=9)
    else:
        ax_d.legend(frameon=False, fontsize=8, loc="upper center", ncols=2)
    if title:
        fig.suptitle(title)
    return fig


def _finite_series(history: Any, key: str) -> tuple[np.ndarray, np.ndarray]:
    """(steps, values) of the rows of a history (list of dicts, e.g. csv.DictReader rows) that have ``key``.

    Empty strings, None and NaN count as missing, so a CSV history with validation every N steps works.
    """
    steps, values = [], []
    for row in history:
        value = row.get(key)
        if value is None or value == "":
            continue
        value = float(value)
        if np.isfinite(value):
            steps.append(float(row["step"]))
            values.append(value)
    return np.asarray(steps), np.asarray(values)


def plot_training_run(
    history: Any,
    *,
    loss_key: str = "loss_g",
    metric_key: str = "val_psnr",
    baselines: Mapping[str, float] | None = None,
    loss_label: str = "training loss",
    metric_label: str = "validation PSNR (dB)",
    title: str | None = None,
    smooth: int = 1,
    figsize: tuple[float, float] = (10.0, 3.6),
) -> Figure:
    """A training run at a glance: the loss (log scale) and a validation metric, side by side.

    Args:
        history: a list of per-log dicts with ``step`` (``TrainResult.history``, or the rows of a
            ``history.csv`` read with ``csv.DictReader``); rows without a value are skipped.
        loss_key, metric_key: the columns to draw.
        baselines: ``{label: value}`` drawn as dotted horizontal lines on the metric panel
            (e.g. bicubic interpolation on the same validation images).
        smooth: running-mean window of the loss (the raw curve is drawn faintly behind).
    """
    rows = list(history)
    fig, (ax_loss, ax_metric) = plt.subplots(1, 2, figsize=figsize, layout="constrained")
    x, y = _finite_series(rows, loss_key)
    if len(y):
        if smooth > 1:
            ax_loss.plot(x, y, color="C0", alpha=0.25, linewidth=0.8)
            ax_loss.plot(x, _smooth(y, smooth), color="C0", linewidth=1.6, label=f"running mean of {smooth}")
            ax_loss.legend(frameon=False, fontsize=8)
        else:
            ax_loss.plot(x, y, color="C0", linewidth=1.6)
        ax_loss.set_yscale("log")
    ax_loss.set(xlabel="training step", ylabel=f"{loss_label} (log scale)", title=loss_label)
    x, y = _finite_series(rows, metric_key)
    if len(y):
        ax_metric.plot(x, y, "o-", color="C1", linewidth=1.6, markersize=4, label="this run")
    for index, (label, value) in enumerate((baselines or {}).items()):
        ax_metric.axhline(value, color=f"C{index + 2}", linestyle=":", linewidth=1.4, label=f"{label}: {value:.2f}")
    ax_metric.set(xlabel="training step", ylabel=metric_label, title=metric_label)
    if len(y) or baselines:  # curves rise to the upper right and reference lines sit high: keep the legend low
        ax_metric.legend(frameon=True, framealpha=0.85, edgecolor="none", fontsize=8, loc="lower right")
    for ax in (ax_loss, ax_metric):
        ax.grid(True, alpha=0.3)
    if title:
        fig.suptitle(title)
    return fig


def show_zoom_comparison(
    reference: Any,
    images: Sequence[Any],
    titles: Sequence[str],
    box: tuple[int, int, int, int],
    *,
    reference_title: str = "$I^{HR}$",
    captions: Sequence[str] | None = None,
    suptitle: str | None = None,
    panel_size: float = 2.5,
) -> Figure:
    """The paper's figure style: the whole reference image with a box, then that box from each image, enlarged.

    Args:
        reference: the full image the box is drawn on (usually ``I^HR``).
        images: same-size images (methods' outputs, and usually ``I^HR`` again as the last one).
        titles: one per image.
        box: ``(x, y, w, h)`` in pixels.
        captions: an optional second line per image (e.g. its PSNR / SSIM), drawn under the crop.
        panel_size: inches per crop panel.
    """
    full = to_display(reference)
    arrays = [to_display(image) for image in images]
    if len(titles) != len(arrays):
        raise ValueError(f"{len(titles)} titles for {len(arrays)} images")
    x, y, w, h = box
    for array in arrays:
        if array.shape[:2] != full.shape[:2]:
            raise ValueError(f"image of shape {array.shape[:2]} differs from the reference {full.shape[:2]}")
    aspect, crop_aspect = full.shape[1] / full.shape[0], w / h
    n = len(arrays)
    fig, axes = plt.subplots(  # equal panel heights: widths proportional to the aspect ratios
        1, n + 1, figsize=(panel_size * (aspect + n * crop_aspect) + 0.3, panel_size + 0.8), squeeze=False,
        gridspec_kw={"width_ratios": [aspect] + [crop_aspect] * n}, layout="constrained",
    )
    axes = axes[0]
    axes[0].imshow(full, interpolation="lanczos" if full.ndim == 3 else "nearest", **_grey_kwargs(full))
    axes[0].add_patch(Rectangle((x - 0.5, y - 0.5), w, h, fill=False, edgecolor=ZOOM_COLOR, linewidth=1.5))
    axes[0].set_title(reference_title, fontsize=10)
    for index, (ax, array) in enumerate(zip(axes[1:], arrays)):
        ax.imshow(array[y:y + h, x:x + w], interpolation="nearest", **_grey_kwargs(array))
        ax.set_title(titles[index], fontsize=10)
        for spine in ax.spines.values():
            spine.set_edgecolor(ZOOM_COLOR)
            spine.set_linewidth(1.5)
        if captions is not None:
            ax.set_xlabel(captions[index], fontsize=9)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def plot_grouped_bars(
    values: Mapping[str, Mapping[str, float]],
    *,
    ylabel: str,
    title: str | None = None,
    reference: float | None = None,
    reference_label: str | None = None,
    ax: Axes | None = None,
    figsize: tuple[float, float] = (10.0, 3.6),
    rotate: float = 0,
    legend: bool = True,
) -> Figure:
    """Bars grouped by category (e.g. one group per image, one bar per model).

    Args:
        values: ``{group: {series: value}}``; every group should have the same series.
        reference: draw a horizontal line at this value (e.g. 0 for "no gain over bicubic").
        rotate: rotation of the group labels in degrees.
        legend: draw a legend in the axes (several panels: pass False and use ``fig.legend``).
    """
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    else:
        fig = ax.figure
    groups = list(values)
    series = list(dict.fromkeys(s for group in values.values() for s in group))
    width = 0.8 / max(len(series), 1)
    centres = np.arange(len(groups))
    for index, name in enumerate(series):
        heights = [float(values[g].get(name, np.nan)) for g in groups]
        ax.bar(centres + (index - (len(series) - 1) / 2) * width, heights, width, label=name, color=f"C{index}")
    if reference is not None:
        ax.axhline(reference, color="0.3", linewidth=0.9, linestyle="--", label=reference_label)
    ax.set_xticks(centres, groups, rotation=rotate, ha="right" if rotate else "center")
    ax.set_ylabel(ylabel)
    ax.grid(True, axis="y", alpha=0.3)
    if legend:
        ax.legend(frameon=False, fontsize=8, ncols=len(series) + (reference_label is not None))
    if title:
        ax.set_title(title)
    return fig


def plot_labelled_scatter(
    points: Mapping[str, tuple[float, float]],
    *,
    xlabel: str,
    ylabel: str,
    title: str | None = None,
    highlight: Sequence[str] = (),
    labelled: Sequence[str] | None = None,
    ax: Axes | None = None,
    figsize: tuple[float, float] = (4.6, 3.8),
) -> Figure:
    """Named points ``{label: (x, y)}`` with their labels written next to them; ``highlight`` ones in red.

    Args:
        labelled: which points get their label written (all by default); the others are grey dots,
            for crowded plots where only a few points matter.
    """
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    else:
        fig = ax.figure
    for label, (px, py) in points.items():
        special = label in highlight
        named = labelled is None or label in labelled
        color = ZOOM_COLOR if special else ("C0" if named else "0.6")
        ax.scatter([px], [py], s=36 if special else 22, color=color, zorder=3)
        if named:
            ax.annotate(label, (px, py), xytext=(4, 3), textcoords="offset points", fontsize=8,
                        color=ZOOM_COLOR if special else "0.15", fontweight="bold" if special else "normal")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    ax.margins(x=0.18, y=0.12)
    if title:
        ax.set_title(title)
    return fig


def plot_spectra(
    spectra: Mapping[str, Any],
    frequencies: Any,
    *,
    reference: str | None = None,
    title: str | None = None,
    ax: Axes | None = None,
    figsize: tuple[float, float] = (5.6, 3.6),
) -> Figure:
    """Radially averaged power spectra, as they are (log scale) or divided by a ``reference`` one.

    Args:
        spectra: ``{label: power per frequency bin}``.
        frequencies: the bins' spatial frequencies in cycles per pixel (0 ... 0.5).
        reference: the label to divide by: the plot then shows how much of the reference's power
            at each frequency the others have (1 = all of it).
    """
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    else:
        fig = ax.figure
    f = np.asarray(frequencies, dtype=float)
    base = np.asarray(spectra[reference], dtype=float) if reference is not None else None
    for index, (label, power) in enumerate(spectra.items()):
        p = np.asarray(power, dtype=float)
        style = {"color": "0.2", "linestyle": "--"} if label == reference else {"color": f"C{index}"}
        ax.plot(f, p / base if base is not None else p, label=label, linewidth=1.6, **style)
    ax.set_yscale("log")
    ax.set_xlabel("spatial frequency (cycles per HR pixel)")
    ax.set_ylabel(f"power / power of {reference}" if reference else "power (log scale)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(frameon=False, fontsize=8)
    if title:
        ax.set_title(title)
    return fig


def plot_tradeoff_path(
    x: Sequence[float],
    y: Sequence[float],
    labels: Sequence[str] | None = None,
    *,
    label: str | None = None,
    ax: Axes | None = None,
    xlabel: str = "PSNR (dB)",
    ylabel: str = "perceptual measure",
    title: str | None = None,
    color: str | None = None,
    linestyle: str = "-",
    marker: str = "o",
    label_every: int = 1,
    label_offset: tuple[float, float] = (6, 4),
    alternate: bool = False,
    figsize: tuple[float, float] = (6.4, 4.4),
) -> Figure:
    """A path of operating points in a plane, each point labelled: e.g. a perception-distortion plane
    (Blau & Michaeli, CVPR 2018) with one point per interpolation weight alpha.

    Call it again with ``ax=`` to add a second path (another method) to the same axes.

    Args:
        x, y: coordinates of the points, in path order.
        labels: text next to each point (e.g. ``"α=0.25"``); None draws no labels.
        label: legend entry of the whole path.
        label_every: label only every n-th point (and always the last one).
        label_offset: offset of the labels in points.
        alternate: put every other label on the opposite side of its point (for crowded paths).
    """
    if len(x) != len(y) or (labels is not None and len(labels) != len(x)):
        raise ValueError(f"plot_tradeoff_path: {len(x)} x values, {len(y)} y values, "
                         f"{len(labels) if labels is not None else 'no'} labels")
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    else:
        fig = ax.figure
    (line,) = ax.plot(x, y, linestyle=linestyle, marker=marker, color=color, label=label,
                      linewidth=1.4, markersize=5)
    if labels is not None:
        shown = 0
        for index, (xi, yi, text) in enumerate(zip(x, y, labels)):
            if index % max(label_every, 1) and index != len(x) - 1:
                continue
            dx, dy = label_offset
            flip = alternate and shown % 2 == 1
            ax.annotate(text, (xi, yi), xytext=(-dx, -dy) if flip else (dx, dy), textcoords="offset points",
                        fontsize=8, color=line.get_color(), ha="right" if flip else "left",
                        va="top" if flip else "bottom")
            shown += 1
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.grid(True, alpha=0.3)
    return fig


def plot_lines(
    series: Mapping[str, tuple[Any, Any]],
    *,
    styles: Mapping[str, Mapping[str, Any]] | None = None,
    xlabel: str,
    ylabel: str,
    title: str | None = None,
    zero_line: bool = True,
    ax: Axes | None = None,
    figsize: tuple[float, float] = (5.2, 3.4),
) -> Figure:
    """Curves or sampled points with their own x values, ``{label: (x, y)}`` (e.g. interpolation kernels).

    Args:
        series: the data; each entry is drawn as a line unless ``styles`` says otherwise.
        styles: optional matplotlib keyword arguments per label, e.g. ``{"marker": "o", "linestyle": "none"}``
            to draw samples (weights, measured points) instead of a line.
        zero_line: draw the line y = 0 (useful for kernels with negative lobes).
        ax: draw into an existing axes instead of a new figure.
    """
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    else:
        fig = ax.figure
    if zero_line:
        ax.axhline(0.0, color="0.5", linewidth=0.8)
    for index, (label, (x, y)) in enumerate(series.items()):
        kwargs = {"color": f"C{index}", "linewidth": 1.6, **dict((styles or {}).get(label, {}))}
        ax.plot(np.asarray(x, dtype=float), np.asarray(y, dtype=float), label=label, **kwargs)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.grid(True, alpha=0.3)
    if len(series) > 1:
        ax.legend(frameon=False, fontsize=8)
    return fig
