"""Charts of a few named numbers: bars, grouped bars, labelled points, paths of operating points."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from ._common import ZOOM_COLOR, cycle_colours, figure_and_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


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
    fig, ax = figure_and_axes(ax, figsize)
    names = list(values)
    heights = [float(values[name]) for name in names]
    bars = ax.bar(names, heights, color=cycle_colours()[: len(names)])
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
    fig, ax = figure_and_axes(ax, figsize)
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
    fig, ax = figure_and_axes(ax, figsize)
    for label, (px, py) in points.items():
        special = label in highlight
        named = labelled is None or label in labelled
        color = ZOOM_COLOR if special else ("C0" if named else "0.6")
        ax.scatter([px], [py], s=36 if special else 22, color=color, zorder=3)
        if named:
            # the highlighted label goes below its point: it is usually beside a neighbour labelled above
            ax.annotate(label, (px, py), xytext=(4, -10) if special else (4, 3), textcoords="offset points", fontsize=8,
                        color=ZOOM_COLOR if special else "0.15", fontweight="bold" if special else "normal")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    ax.margins(x=0.18, y=0.12)
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
    fig, ax = figure_and_axes(ax, figsize)
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
