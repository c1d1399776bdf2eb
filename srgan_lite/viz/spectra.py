"""Radially averaged power spectra, as they are or relative to a reference."""
from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from ._common import figure_and_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


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
    fig, ax = figure_and_axes(ax, figsize)
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
