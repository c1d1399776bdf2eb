"""PSNR/SSIM: the MATLAB Y conversion, quantisation, and parity with scikit-image."""
import math

import numpy as np
import pytest
import torch
from skimage.color import rgb2ycbcr
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from srgan_lite.errors import ConfigError
from srgan_lite.evaluation.metrics import (
    psnr,
    psnr_image,
    psnr_ssim,
    rgb_to_y,
    spectral_energy_ratio,
    ssim,
    ssim_image,
)


def _pair(make_image, h=48, w=56, seed=0):
    hr = make_image(h, w, seed)
    rng = np.random.default_rng(seed + 1)
    sr = np.clip(hr.astype(int) + rng.integers(-12, 13, hr.shape), 0, 255).astype(np.uint8)
    return sr, hr


def _t(image):
    return torch.tensor(image, dtype=torch.float32).permute(2, 0, 1).unsqueeze(0) / 255


def _y(image):
    """Y of scikit-image's ``rgb2ycbcr`` (its own BT.601 implementation), as float64 in [16, 235]."""
    return rgb2ycbcr(image)[..., 0]


def test_rgb_to_y_is_matlab_rgb2ycbcr():
    # MATLAB: rgb2ycbcr of black, white, red, green, blue gives Y = 16, 235, 81.481, 144.553, 40.966 (x 1/255).
    x = torch.tensor([[0.0, 0, 0], [1, 1, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]]).T.reshape(3, 1, 5)
    y = rgb_to_y(x)
    assert y.shape == (1, 1, 5)
    torch.testing.assert_close(y.flatten(), torch.tensor([16.0, 235.0, 81.481, 144.553, 40.966]))


def test_psnr_and_ssim_match_scikit_image_on_y(make_image):
    sr, hr = _pair(make_image)
    a, b = _y(sr)[4:-4, 4:-4], _y(hr)[4:-4, 4:-4]
    expected_psnr = peak_signal_noise_ratio(b, a, data_range=255)
    expected_ssim = structural_similarity(a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255)
    assert abs(float(psnr(_t(sr), _t(hr), shave=4)[0]) - expected_psnr) < 1e-4
    assert abs(float(ssim(_t(sr), _t(hr), shave=4)[0]) - expected_ssim) < 1e-4
    assert abs(psnr_image(sr, hr) - expected_psnr) < 1e-4 and abs(ssim_image(sr, hr) - expected_ssim) < 1e-4


def test_rgb_variants_match_scikit_image(make_image):
    sr, hr = _pair(make_image, seed=3)
    expected_psnr = peak_signal_noise_ratio(hr, sr, data_range=255)
    expected_ssim = structural_similarity(sr.astype(np.float64), hr.astype(np.float64), gaussian_weights=True, sigma=1.5,
                                          use_sample_covariance=False, data_range=255, channel_axis=2)
    assert abs(float(psnr(_t(sr), _t(hr), y_channel=False)[0]) - expected_psnr) < 1e-4
    assert abs(float(ssim(_t(sr), _t(hr), y_channel=False)[0]) - expected_ssim) < 1e-4


def test_known_psnr_value(make_image):
    hr = make_image(20, 20)
    hr[hr == 255] = 254
    sr = hr + 1  # every value off by one grey level: MSE 1
    assert math.isclose(float(psnr(_t(sr), _t(hr), y_channel=False)[0]), 20 * math.log10(255), abs_tol=1e-9)
    assert float(psnr(_t(hr), _t(hr))[0]) == math.inf
    assert math.isclose(float(ssim(_t(hr), _t(hr))[0]), 1.0, abs_tol=1e-12)


def test_inputs_are_quantised_half_up(make_image):
    sr, hr = _pair(make_image)
    exact = float(psnr(_t(sr), _t(hr))[0])
    nudged = _t(sr) + 0.49 / 255  # still rounds to the same levels
    assert float(psnr(nudged, _t(hr))[0]) == pytest.approx(exact, abs=1e-9)
    half = torch.full((1, 3, 12, 12), 10.5 / 255)  # half-up: level 11, not banker's 10
    eleven = torch.full((1, 3, 12, 12), 11 / 255)
    assert float(psnr(half, eleven, y_channel=False)[0]) == math.inf


def test_per_image_batch_values(make_image):
    pairs = [_pair(make_image, seed=s) for s in range(3)]
    sr = torch.cat([_t(p[0]) for p in pairs])
    hr = torch.cat([_t(p[1]) for p in pairs])
    batch_psnr, batch_ssim = psnr(sr, hr, shave=4), ssim(sr, hr, shave=4)
    assert batch_psnr.shape == (3,) and batch_ssim.shape == (3,)
    for i, (s, h) in enumerate(pairs):
        assert float(batch_psnr[i]) == pytest.approx(psnr_image(s, h), abs=1e-9)
        assert float(batch_ssim[i]) == pytest.approx(ssim_image(s, h), abs=1e-9)
    both = psnr_ssim(sr, hr, shave=4)
    torch.testing.assert_close(both[0], batch_psnr)
    torch.testing.assert_close(both[1], batch_ssim)


def test_grayscale_images_are_scored_on_their_values(make_image):
    sr, hr = (img[..., 1].copy() for img in _pair(make_image))
    a, b = sr[4:-4, 4:-4].astype(np.float64), hr[4:-4, 4:-4].astype(np.float64)
    assert psnr_image(sr, hr) == pytest.approx(peak_signal_noise_ratio(b, a, data_range=255), abs=1e-4)
    assert ssim_image(sr, hr) == pytest.approx(
        structural_similarity(a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255), abs=1e-4)
    # The same pixels stored as RGB go through rgb2ycbcr: range 219 instead of 255, +1.32 dB.
    rgb = psnr_image(np.repeat(sr[..., None], 3, 2), np.repeat(hr[..., None], 3, 2))
    assert rgb - psnr_image(sr, hr) == pytest.approx(20 * math.log10(255 / 219), abs=1e-3)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_gpu_matches_cpu(make_image):
    sr, hr = _pair(make_image)
    assert float(ssim(_t(sr).cuda(), _t(hr).cuda(), shave=4)[0]) == pytest.approx(ssim_image(sr, hr), abs=1e-9)


def test_errors(make_image):
    sr, hr = _pair(make_image)
    with pytest.raises(ConfigError):
        psnr(_t(sr), _t(hr)[..., :-1])
    with pytest.raises(ConfigError):
        ssim(_t(sr), _t(hr), shave=20)  # 48 - 40 = 8 px left, less than the 11x11 window
    with pytest.raises(ConfigError):
        psnr_image(sr.astype(np.float32), hr)


def _smooth(size: int = 192) -> torch.Tensor:
    """Low-pass noise in [0, 1], (1, 3, size, size): almost no energy above any LR Nyquist frequency."""
    x = torch.rand(1, 3, size // 8, size // 8, generator=torch.Generator().manual_seed(0))
    return torch.nn.functional.interpolate(x, size=(size, size), mode="bicubic", align_corners=False).clamp(0, 1)


def _vertical_stripes(x: torch.Tensor, period: float, amplitude: float = 0.03) -> torch.Tensor:
    """``x`` plus a cosine of ``period`` pixels along the width (~8 grey levels peak to peak)."""
    columns = torch.arange(x.shape[-1], dtype=x.dtype)
    return (x + amplitude * torch.cos(2 * math.pi * columns / period)).clamp(0, 1)


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_spectral_energy_ratio_counts_what_the_lr_of_that_scale_cannot_hold(scale):
    # The LR of an x-scale image holds frequencies below 1 / (2 scale) cycles per HR pixel: stripes of
    # period 2 scale - 1 are beyond it (new detail), stripes of period 2 scale + 2 are within it.
    hr = _smooth()
    finer, coarser = _vertical_stripes(hr, 2 * scale - 1), _vertical_stripes(hr, 2 * scale + 2)
    assert spectral_energy_ratio(finer, hr, scale=scale).item() > 10
    assert spectral_energy_ratio(coarser, hr, scale=scale).item() < 2
    if scale > 2:  # the finer stripes are within what an x2 LR holds
        assert spectral_energy_ratio(finer, hr, scale=2).item() < 2


def test_spectral_energy_ratio_defaults_to_x4():
    hr = _smooth(96)
    sr = _vertical_stripes(hr, 6.0)
    default = spectral_energy_ratio(sr, hr).item()
    assert default == spectral_energy_ratio(sr, hr, scale=4).item() == spectral_energy_ratio(sr, hr, cutoff=0.125).item()
    assert spectral_energy_ratio(sr, hr, scale=8, cutoff=0.125).item() == default  # an explicit cutoff wins
    with pytest.raises(ConfigError, match="scale=0"):
        spectral_energy_ratio(sr, hr, scale=0)
