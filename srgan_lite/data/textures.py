"""One stationary texture as a training set: the live experiment of the paper's thesis (Ledig et al. 2017, Fig. 3).

On a photograph collection a GAN needs hours to learn texture for every kind of content; on *one* texture it
learns in minutes, so the mechanism can be watched on a CPU. :func:`texture_split` cuts a scikit-image texture
into a training half and a held-out half (no crop of one overlaps the other); :func:`tiles` cuts the held-out half
into evaluation crops; :func:`same_lr_variants` makes several different HR patches with (nearly) the same LR, the
set whose pixel-wise mean an MSE-trained network predicts.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import ConfigError
from .imresize import bicubic_degrade, imresize_uint8

#: Textures that ship with scikit-image (grey, 512 x 512), by name.
TEXTURES = ("grass", "gravel", "brick")
#: Side of the held-out evaluation tiles (8 of them in a 512 x 256 half).
TEXTURE_TILE = 128
#: How a data set names a texture (``data.train``, ``data.val``, ``evaluate``'s and the CLI's ``--dataset``).
TEXTURE_PREFIX = "texture:"


def texture_set(spec: str, part: str) -> list[tuple[str, np.ndarray]]:
    """``texture:NAME`` as a data set: ``part="train"`` the left half, ``"test"`` the right half's 128 px tiles."""
    name = spec.removeprefix(TEXTURE_PREFIX)
    train, test = texture_split(name)
    return train if part == "train" else tiles(test, TEXTURE_TILE)


def load_texture(name: str) -> np.ndarray:
    """The scikit-image texture ``name`` as a (H, W) grey uint8 array: training replicates it to RGB, and
    evaluation scores grey images on their grey values (:func:`srgan_lite.evaluation.evaluate`)."""
    if name not in TEXTURES:
        raise ConfigError(f"texture {name!r} is unknown: choose {', '.join(TEXTURES)}")
    import skimage.data

    return np.ascontiguousarray(getattr(skimage.data, name)().astype(np.uint8))


def texture_split(name: str) -> tuple[list[tuple[str, np.ndarray]], list[tuple[str, np.ndarray]]]:
    """(training half, held-out half) of a texture, the left and right halves, each as ``[(name, grey uint8)]``
    (what :func:`srgan_lite.train` takes as ``train_images`` / ``val_images``)."""
    image = load_texture(name)
    middle = image.shape[1] // 2
    return [(f"{name}-left", image[:, :middle].copy())], [(f"{name}-right", image[:, middle:].copy())]


def tiles(images: Sequence[tuple[str, np.ndarray]], size: int) -> list[tuple[str, np.ndarray]]:
    """Non-overlapping ``size`` x ``size`` crops of each image, row by row, named ``<name>-<row>-<column>``."""
    if size < 1:
        raise ConfigError(f"tile size {size} must be positive")
    crops = []
    for name, image in images:
        for row in range(image.shape[0] // size):
            for col in range(image.shape[1] // size):
                crops.append((f"{name}-{row}-{col}", image[row * size:(row + 1) * size, col * size:(col + 1) * size].copy()))
    if not crops:
        raise ConfigError(f"no image is at least {size} x {size} px")
    return crops


def same_lr_variants(patches: Sequence[np.ndarray], target: np.ndarray, *, scale: int = 4,
                     iterations: int = 10) -> list[np.ndarray]:
    """Each HR patch, changed until its bicubic LR matches ``target``'s LR: many HR images, (nearly) one LR.

    Iterative back-projection (Irani and Peleg 1991): add the bicubic upsampling of the LR error, repeat. The low
    frequencies of each result become ``target``'s (the LR fixes them), the high frequencies stay the patch's own
    (the LR cannot see them). Their pixel-wise mean keeps the shared low frequencies and averages the different
    details away: the blur the paper's Fig. 3 attributes to MSE. How near "nearly" is: compare
    ``bicubic_degrade`` of the results with ``bicubic_degrade(target)`` (uint8 rounding leaves about a level).

    Args:
        patches: HR uint8 arrays of ``target``'s shape.
        target: the HR patch whose LR every result shares.
        scale: the downscaling factor.
        iterations: back-projection steps.
    """
    goal = bicubic_degrade(target, scale).astype(np.float64)
    variants = []
    for patch in patches:
        if patch.shape != target.shape:
            raise ConfigError(f"patch of shape {patch.shape} differs from the target's {target.shape}")
        x = patch.astype(np.float64)
        for _ in range(iterations):
            error = goal - bicubic_degrade(np.clip(np.rint(x), 0, 255).astype(np.uint8), scale).astype(np.float64)
            up = imresize_uint8(np.clip(error + 128, 0, 255).astype(np.uint8), scale).astype(np.float64) - 128
            x = x + up
        variants.append(np.clip(np.rint(x), 0, 255).astype(np.uint8))
    return variants
