"""Training curves: loss and metric histories, an SRGAN run's four panels, curves with their own x values."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ._common import as_series, cycle_colours, figure_and_axes, finite_series, smooth_series

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


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
    series = as_series(history, keys)
    if steps is None and isinstance(history, Sequence) and not isinstance(history, Mapping):
        if history and "step" in history[0]:
            steps = [float(record["step"]) for record in history]
    fig, ax = figure_and_axes(ax, figsize)
    for label, values in series.items():
        y = np.asarray(values, dtype=float)
        x = np.asarray(steps, dtype=float)[: len(y)] if steps is not None else np.arange(len(y))
        if smooth > 1:
            (raw,) = ax.plot(x, y, alpha=0.25, linewidth=0.8)
            ax.plot(x, smooth_series(y, smooth), color=raw.get_color(), label=label, linewidth=1.6)
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
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    runs = dict(histories) if isinstance(histories, Mapping) else {"": histories}
    fig, axes = plt.subplots(2, 2, figsize=figsize, layout="constrained")
    (ax_d, ax_loss_d), (ax_adv, ax_content) = axes
    colors = cycle_colours()

    def draw(ax: Axes, x: np.ndarray, y: np.ndarray, color: str, label: str, style: str = "-") -> None:
        if smooth > 1:
            ax.plot(x, y, style, color=color, alpha=0.25, linewidth=0.8)
            y = smooth_series(y, smooth)
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
    segments: Mapping[str, int] | None = None,
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
        segments: ``{label: last step}`` of a run trained in stages, in order: the metric is drawn as one line per
            stage, unjoined (stages that validate on different images must not look like one curve).
    """
    import matplotlib.pyplot as plt

    rows = list(history)
    fig, (ax_loss, ax_metric) = plt.subplots(1, 2, figsize=figsize, layout="constrained")
    x, y = finite_series(rows, loss_key)
    if len(y):
        if smooth > 1:
            ax_loss.plot(x, y, color="C0", alpha=0.25, linewidth=0.8)
            ax_loss.plot(x, smooth_series(y, smooth), color="C0", linewidth=1.6, label=f"running mean of {smooth}")
            ax_loss.legend(frameon=False, fontsize=8)
        else:
            ax_loss.plot(x, y, color="C0", linewidth=1.6)
        ax_loss.set_yscale("log")
    ax_loss.set(xlabel="training step", ylabel=f"{loss_label} (log scale)", title=loss_label)
    x, y = finite_series(rows, metric_key)
    first = 0
    for index, (label, last) in enumerate((segments or {"this run": float("inf")}).items()):
        part = (x > first) & (x <= last)
        if part.any():
            ax_metric.plot(x[part], y[part], "o-", color=("C1", "C4", "C5", "C6")[index % 4], linewidth=1.6,
                           markersize=4, label=label)
        first = last
    for index, (label, value) in enumerate((baselines or {}).items()):
        ax_metric.axhline(value, color=f"C{index + 2}", linestyle=":", linewidth=1.4, label=f"{label}: {value:.2f}")
    ax_metric.set(xlabel="training step", ylabel=metric_label, title=metric_label)
    if len(y) or baselines:  # wherever the curve leaves room: a GAN run's PSNR falls, then may climb back
        ax_metric.legend(frameon=True, framealpha=0.85, edgecolor="none", fontsize=8, loc="best")
    for ax in (ax_loss, ax_metric):
        ax.grid(True, alpha=0.3)
    if title:
        fig.suptitle(title)
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
    fig, ax = figure_and_axes(ax, figsize)
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
