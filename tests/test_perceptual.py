"""What PSNR misses (evaluation.perceptual): the grid score at every scale and the feature distance."""
import pytest
import torch

from srgan_lite.errors import ConfigError
from srgan_lite.evaluation.perceptual import DISTANCE_TAPS, feature_distance, grid_score
from srgan_lite.losses.content import LITE0_NORM_TAPS, NormalizedFeatureLoss, calibrate_rescale, content_loss


def _smooth_image(seed: int = 0, size: int = 96) -> torch.Tensor:
    """A natural-ish image: low-pass noise in [0, 1], (1, 3, size, size)."""
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(1, 3, size // 8, size // 8, generator=g)
    return torch.nn.functional.interpolate(x, size=(size, size), mode="bicubic", align_corners=False).clamp(0, 1)


def _with_grid(x: torch.Tensor, amplitude: float, period: int = 4) -> torch.Tensor:
    """``x`` plus a lattice: one pixel of every ``period`` x ``period`` cell raised (mean-free)."""
    pattern = torch.zeros(period, period)
    pattern[0, 0] = 1.0
    pattern -= pattern.mean()
    h, w = x.shape[-2:]
    return (x + amplitude * pattern.repeat(h // period, w // period)).clamp(0, 1)


def test_grid_score_sees_a_4_pixel_grid_and_not_noise():
    hr = _smooth_image()
    noise = (hr + 0.02 * torch.randn(hr.shape, generator=torch.Generator().manual_seed(1))).clamp(0, 1)
    assert grid_score(hr, hr).item() == pytest.approx(1.0)
    assert grid_score(_with_grid(hr, 0.03), hr).item() > 20  # ~8 grey levels on one pixel of every 4x4
    assert grid_score(noise, hr).item() < 3  # white noise has no spikes at the grid frequencies
    with pytest.raises(ConfigError, match="at least"):
        grid_score(hr[..., :32, :32], hr[..., :32, :32])
    assert grid_score(_with_grid(hr, 0.03), hr).item() == grid_score(_with_grid(hr, 0.03), hr, scale=4).item()


@pytest.mark.parametrize("period, other", [(2, 3), (3, 2), (3, 4), (4, 3)])
def test_grid_score_sees_the_lattice_of_its_scale_and_not_a_coprime_one(period, other):
    # A lattice of period p has energy only at multiples of 1/p cycles per pixel; the score at scale q reads
    # multiples of 1/q, which miss every one of them when p and q share no factor.
    hr = _smooth_image()  # 96 px: a whole number of periods 2, 3 and 4
    lattice = _with_grid(hr, 0.03, period)
    assert grid_score(hr, hr, scale=period).item() == pytest.approx(1.0)
    assert grid_score(lattice, hr, scale=period).item() > 20
    assert grid_score(lattice, hr, scale=other).item() < 2
    with pytest.raises(ConfigError, match=f"at least {16 * period} px"):
        grid_score(hr[..., : 16 * period - 1, :], hr[..., : 16 * period - 1, :], scale=period)


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
