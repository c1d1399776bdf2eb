"""Image panels: side-by-side images with zoomed insets, grids of images, the paper's zoom comparison."""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ._common import ZOOM_COLOR, grey_kwargs, to_display

if TYPE_CHECKING:
    from matplotlib.figure import Figure


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
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

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
        ax.imshow(array, interpolation="nearest", extent=extent, **grey_kwargs(array))
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
        inset.imshow(crop, interpolation="nearest", **grey_kwargs(crop))
        inset.set_xticks([])
        inset.set_yticks([])
        for spine in inset.spines.values():
            spine.set_edgecolor(ZOOM_COLOR)
            spine.set_linewidth(2)
    if suptitle:
        fig.suptitle(suptitle)
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
    import matplotlib.pyplot as plt

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
            ax.imshow(array, interpolation="nearest", **grey_kwargs(array))
            ax.axis("on")
            ax.set_xticks([])
            ax.set_yticks([])
            if titles is not None:
                ax.set_title(titles[r][c], fontsize=fontsize)
    if suptitle:
        fig.suptitle(suptitle)
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
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

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
    axes[0].imshow(full, interpolation="lanczos" if full.ndim == 3 else "nearest", **grey_kwargs(full))
    axes[0].add_patch(Rectangle((x - 0.5, y - 0.5), w, h, fill=False, edgecolor=ZOOM_COLOR, linewidth=1.5))
    axes[0].set_title(reference_title, fontsize=10)
    for index, (ax, array) in enumerate(zip(axes[1:], arrays)):
        ax.imshow(array[y:y + h, x:x + w], interpolation="nearest", **grey_kwargs(array))
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
