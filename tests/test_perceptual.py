"""What PSNR misses (grid score, feature distance), the sub-pixel phase loss and SRGAN's jittered windows."""
import types

import numpy as np
import pytest
import torch

from srgan_lite.errors import ConfigError
from srgan_lite.evaluation.perceptual import DISTANCE_TAPS, feature_distance, grid_score
from srgan_lite.losses.content import (
    LITE0_NORM_TAPS,
    LITE0_TAP,
    FeatureContentLoss,
    NormalizedFeatureLoss,
    calibrate_rescale,
    content_loss,
)
from srgan_lite.losses.phase import subpixel_phase_loss, subpixel_phase_pattern, without_phase_pattern
from srgan_lite.training.config import make_config
from srgan_lite.training.distributed import Dist
from srgan_lite.training.loop import Trainer


def _smooth_image(seed: int = 0, size: int = 96) -> torch.Tensor:
    """A natural-ish image: low-pass noise in [0, 1], (1, 3, size, size)."""
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(1, 3, size // 8, size // 8, generator=g)
    return torch.nn.functional.interpolate(x, size=(size, size), mode="bicubic", align_corners=False).clamp(0, 1)


def _with_grid(x: torch.Tensor, amplitude: float) -> torch.Tensor:
    pattern = torch.zeros(4, 4)
    pattern[0, 0] = 1.0
    pattern -= pattern.mean()
    h, w = x.shape[-2:]
    return (x + amplitude * pattern.repeat(h // 4, w // 4)).clamp(0, 1)


def test_grid_score_sees_a_4_pixel_grid_and_not_noise():
    hr = _smooth_image()
    noise = (hr + 0.02 * torch.randn(hr.shape, generator=torch.Generator().manual_seed(1))).clamp(0, 1)
    assert grid_score(hr, hr).item() == pytest.approx(1.0)
    assert grid_score(_with_grid(hr, 0.03), hr).item() > 20  # ~8 grey levels on one pixel of every 4x4
    assert grid_score(noise, hr).item() < 3  # white noise has no spikes at the grid frequencies
    with pytest.raises(ConfigError, match="at least"):
        grid_score(hr[..., :32, :32], hr[..., :32, :32])


def test_phase_loss_is_zero_for_texture_shifts_and_positive_for_a_grid():
    hr = _smooth_image() * 2 - 1
    assert subpixel_phase_loss(hr, hr).item() == 0.0
    assert subpixel_phase_loss(_with_grid(hr, 0.1), hr).item() > 1e-4
    # a constant offset (brightness) is not a grid: the phase pattern has its mean removed
    assert subpixel_phase_loss(hr + 0.1, hr).item() == pytest.approx(0.0, abs=1e-12)


def test_windowed_phase_loss_sees_a_grid_confined_to_one_region():
    hr = _smooth_image() * 2 - 1
    grid = _with_grid(torch.full((1, 3, 16, 16), 0.5), 0.1) - 0.5
    local = hr.clone()
    local[..., :16, :16] += grid      # a grid in one 16 px corner only
    local[..., 16:32, :16] -= grid    # and its opposite next to it
    assert subpixel_phase_loss(local, hr).item() == pytest.approx(0.0, abs=1e-12)  # the whole crop: they cancel
    assert subpixel_phase_loss(local, hr, window=16).item() > 1e-5  # 2 of 36 tiles hold the grid
    assert subpixel_phase_loss(local, hr, window=96).item() == subpixel_phase_loss(local, hr).item()
    assert subpixel_phase_loss(hr + 0.1, hr, window=16).item() == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ConfigError, match="multiple of scale"):
        subpixel_phase_loss(hr, hr, window=10)


def test_phase_free_images_keep_everything_but_their_tiled_phase_pattern():
    hr = _smooth_image(size=40) * 2 - 1                     # 2 whole 16 px tiles a side and an 8 px margin
    grid = _with_grid(torch.full((1, 3, 40, 40), 0.5), 0.1) - 0.5
    free = without_phase_pattern(hr, window=16)
    assert subpixel_phase_pattern(free[..., :32, :32], window=16).abs().max().item() < 1e-6
    assert torch.equal(free[..., 32:, :], hr[..., 32:, :]) and torch.equal(free[..., :, 32:], hr[..., :, 32:])
    # a grid added to the image is gone from what the feature loss sees: its phase-free version is unchanged
    assert torch.allclose(without_phase_pattern(hr + grid, window=16)[..., :32, :32], free[..., :32, :32], atol=1e-6)
    assert (free - hr).abs().mean().item() < 0.1 * hr.std().item()  # a smooth image loses little (a ramp has a phase pattern)


def test_normalised_lite0_loss_ignores_feature_scale_and_is_calibrated_like_the_paper():
    loss = content_loss("lite0_norm")
    assert isinstance(loss, NormalizedFeatureLoss) and loss.taps == LITE0_NORM_TAPS
    assert not set(LITE0_NORM_TAPS) & set(DISTANCE_TAPS)  # the loss does not train on the measure's own taps
    hr = _smooth_image(size=64) * 2 - 1
    sr = torch.nn.functional.avg_pool2d(hr, 2).repeat_interleave(2, 2).repeat_interleave(2, 3)
    assert loss(hr, hr).item() == pytest.approx(0.0, abs=1e-9)
    blurrier = torch.nn.functional.avg_pool2d(hr, 4).repeat_interleave(4, 2).repeat_interleave(4, 3)
    assert 0 < loss(sr, hr).item() < loss(blurrier, hr).item()
    c = calibrate_rescale(loss, sr, hr)
    loss.rescale = c
    assert loss(sr, hr).item() == pytest.approx(torch.nn.functional.mse_loss(sr, hr).item(), rel=1e-4)


def test_feature_distance_orders_blur_after_identity():
    hr = _smooth_image(size=128)
    blurred = torch.nn.functional.avg_pool2d(hr, 4).repeat_interleave(4, 2).repeat_interleave(4, 3)
    d_same, d_blur = feature_distance(hr, hr).item(), feature_distance(blurred, hr).item()
    assert d_same == pytest.approx(0.0, abs=1e-9) and d_blur > 0.01


def test_lite0_content_loss_and_its_calibration():
    loss = content_loss("lite0")
    assert isinstance(loss, FeatureContentLoss) and loss.tap == LITE0_TAP
    hr = _smooth_image(size=64) * 2 - 1
    sr = torch.nn.functional.avg_pool2d(hr, 2).repeat_interleave(2, 2).repeat_interleave(2, 3)
    c = calibrate_rescale(loss, sr, hr)
    loss.rescale = c
    assert loss(sr, hr).item() == pytest.approx(torch.nn.functional.mse_loss(sr, hr).item(), rel=1e-4)
    with pytest.raises(ConfigError, match="unknown"):
        content_loss("alexnet")


def test_jitter_windows_differ_per_sample_cover_every_phase_and_match_between_sr_and_hr():
    config = make_config("quick", "srgan", ["data.shift_jitter=16", "data.patch_size=32"])
    fake = types.SimpleNamespace(config=config, info=Dist())
    y, x = torch.meshgrid(torch.arange(48.0), torch.arange(48.0), indexing="ij")
    coded = torch.stack([y, x, torch.zeros_like(y)]).expand(16, 3, 48, 48).contiguous()
    sr, hr = Trainer._jitter(fake, coded, coded.clone())
    assert sr.shape == (16, 3, 32, 32) and torch.equal(sr, hr)
    tops, lefts = sr[:, 0, 0, 0].long(), sr[:, 1, 0, 0].long()
    assert {(int(t) % 4, int(l) % 4) for t, l in zip(tops, lefts)} == {(a, b) for a in range(4) for b in range(4)}
    assert int(tops.max()) <= 16 and int(lefts.max()) <= 16
