"""Every scale's training pairs are aligned (issue 27): the LR crop is the benchmark degradation of the whole
image, cut at (top/scale, left/scale), bit for bit, at x2, x3, x4 and x8, next to the borders too."""
from functools import lru_cache

import numpy as np
import pytest
import torch
from skimage import data

from srgan_lite.data import crops
from srgan_lite.data.crops import HRCropDataset, degraded_crop
from srgan_lite.data.device_crops import DeviceCropStream
from srgan_lite.data.imresize import bicubic_degrade, modcrop
from srgan_lite.errors import ConfigError

SCALES = (2, 3, 4, 8)
PATCH = 48  # a multiple of every scale tested


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    """A real photograph, 301 x 437: neither side a multiple of 2, 3, 4 or 8, so mod-cropping matters."""
    return data.astronaut()[50:351, 40:477]


@lru_cache(maxsize=8)
def _whole(image: bytes, shape: tuple[int, ...], scale: int) -> np.ndarray:
    """``bicubic_degrade`` of the whole image, once per (image, scale)."""
    return bicubic_degrade(np.frombuffer(image, np.uint8).reshape(shape), scale)


def _starts(length: int, scale: int) -> list[int]:
    """Crop starts on the scale's grid of a mod-cropped side: both borders, one step in from them, the middle."""
    last = (length - length % scale - PATCH) // scale * scale
    return sorted({0, scale, last // 2 // scale * scale, last - scale, last})


def _reference(photo: np.ndarray, scale: int, top: int, left: int) -> tuple[np.ndarray, np.ndarray]:
    """Degrade the whole (mod-cropped) image, then crop: what the benchmark LR holds at that place."""
    image, whole, n = modcrop(photo, scale), _whole(photo.tobytes(), photo.shape, scale), PATCH // scale
    return image[top:top + PATCH, left:left + PATCH], whole[top // scale:top // scale + n, left // scale:left // scale + n]


def _to_uint8(x: torch.Tensor) -> np.ndarray:
    """A (3, H, W) float in [0, 1] back to the uint8 (H, W, 3) it was made from."""
    return (x * 255).round().to(torch.uint8).permute(1, 2, 0).numpy()


@pytest.mark.parametrize("scale", SCALES)
def test_degraded_crop_equals_the_whole_image_degradation_cut(photo, scale):
    for top in _starts(photo.shape[0], scale):
        for left in _starts(photo.shape[1], scale):
            hr, lr = degraded_crop(photo, top, left, PATCH, scale)
            hr_ref, lr_ref = _reference(photo, scale, top, left)
            assert np.array_equal(hr, hr_ref) and np.array_equal(lr, lr_ref), (scale, top, left)


@pytest.mark.parametrize("scale", SCALES)
def test_dataset_items_equal_the_whole_image_degradation_cut(photo, scale, monkeypatch):
    dataset = HRCropDataset([("astronaut", photo)], patch_size=PATCH, scale=scale, augment=False, hr_range="unit")
    offsets = [(top, left) for top in _starts(photo.shape[0], scale) for left in _starts(photo.shape[1], scale)]
    draws = iter([k // scale for offset in offsets for k in offset])  # what random_int returns: top, then left
    monkeypatch.setattr(crops, "random_int", lambda high: next(draws))
    for top, left in offsets:
        lr, hr = dataset[0]
        hr_ref, lr_ref = _reference(photo, scale, top, left)
        assert np.array_equal(_to_uint8(hr), hr_ref) and np.array_equal(_to_uint8(lr), lr_ref), (scale, top, left)


@pytest.mark.parametrize("scale", SCALES)
def test_device_stream_equals_the_whole_image_degradation_cut(photo, scale):
    # a small piece of the photo, so that 64 draws reach both borders on both axes
    piece = photo[:PATCH + 3 * scale + 1, :PATCH + 4 * scale + 2]
    stream = DeviceCropStream([("piece", piece)], patch_size=PATCH, scale=scale, augment=False, seed=11,
                              device="cpu", hr_range="unit")
    positions = range(64)
    lr_image, hr_image = stream.batch(positions)
    draws = stream.draws(positions)
    last_top, last_left = 3 * scale, 4 * scale
    assert {0, last_top} <= {top for _, top, _, *_ in draws} and {0, last_left} <= {left for _, _, left, *_ in draws}
    for k, (_, top, left, *_) in enumerate(draws):
        hr_ref, lr_ref = _reference(piece, scale, top, left)
        assert np.array_equal(_to_uint8(hr_image[k]), hr_ref) and np.array_equal(_to_uint8(lr_image[k]), lr_ref), (top, left)


def test_a_margin_off_the_lr_grid_is_refused(photo):
    # A 16 px margin at x3 starts the degraded window a third of an LR pixel off the grid: the LR crop would be
    # that of a shifted image (up to 94 grey levels off on data.astronaut() before issue 27).
    with pytest.raises(ConfigError, match="margin=16 must be multiples of scale=3"):
        degraded_crop(photo, 18, 18, PATCH, 3, margin=16)
    with pytest.raises(ConfigError, match="not inside"):
        degraded_crop(photo, 300, 0, PATCH, 3)
