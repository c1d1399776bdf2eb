"""What every figure kind shares: the image kinds the panels accept, running means, new axes, colours.

Nothing here imports matplotlib at module level: importing :mod:`srgan_lite.viz` costs nothing until a
figure is drawn.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

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


def grey_kwargs(array: np.ndarray) -> dict[str, Any]:
    """imshow arguments that show a 2-D array as grey levels (0-255 for uint8, 0-1 otherwise)."""
    if array.ndim != 2:
        return {}
    return {"cmap": "gray", "vmin": 0, "vmax": 255 if array.dtype == np.uint8 else 1}


def as_series(history: Any, keys: Sequence[str] | None) -> dict[str, list[float]]:
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


def smooth_series(values: np.ndarray, window: int) -> np.ndarray:
    """Running mean over ``window`` values (shorter windows at the start, so the length is kept)."""
    if window <= 1 or len(values) < window:
        return values
    kernel = np.ones(window) / window
    valid = np.convolve(values, kernel, mode="valid")
    return np.concatenate([np.cumsum(values[: window - 1]) / np.arange(1, window), valid])


def finite_series(history: Any, key: str) -> tuple[np.ndarray, np.ndarray]:
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


def figure_and_axes(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    """``(figure, axes)``: a new figure of ``figsize`` when ``ax`` is None, else ``ax`` and its figure."""
    if ax is not None:
        return ax.figure, ax
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    return fig, ax


def cycle_colours() -> list[str]:
    """The colours of matplotlib's current property cycle, in order."""
    import matplotlib.pyplot as plt

    return plt.rcParams["axes.prop_cycle"].by_key()["color"]
