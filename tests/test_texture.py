"""Top-octave energy and lattice excess: what they see (missing detail, periodic patterns) and what they ignore."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from skimage import data

from srgan_lite.data.convert import image_to_tensor
from srgan_lite.data.imresize import bicubic_degrade, imresize_uint8, modcrop
from srgan_lite.data.io import read_image
from srgan_lite.errors import ConfigError
from srgan_lite.evaluation.texture import (
    band_energy_ratios,
    lattice_excess,
    lattice_frequencies,
    top_octave_energy,
    top_octave_share,
)


@pytest.fixture(scope="module")
def baboon():
    from srgan_lite.data.datasets import shipped_folder

    return modcrop(read_image(shipped_folder("Set14") / "baboon.png"), 12)  # divisible by 3 and 4


def _tensor(image: np.ndarray) -> torch.Tensor:
    return image_to_tensor(image).double()


def _bicubic(hr: np.ndarray, scale: int) -> torch.Tensor:
    return _tensor(imresize_uint8(bicubic_degrade(hr, scale), scale))


def _blur(x: torch.Tensor) -> torch.Tensor:
    return F.avg_pool2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), 3, 1)


def _noise(x: torch.Tensor, levels: float) -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    return (x + torch.randn(x.shape, generator=g, dtype=x.dtype) * levels / 255).clamp(0, 1)


def _lattice(x: torch.Tensor, period: int, levels: float) -> torch.Tensor:
    """One pixel of every period x period cell raised by ``levels`` grey levels (mean-free): a faint lattice."""
    cell = torch.zeros(period, period, dtype=x.dtype)
    cell[0, 0] = 1.0
    h, w = x.shape[-2:]
    pattern = (cell - cell.mean()).repeat(h // period + 1, w // period + 1)[:h, :w]
    return (x + levels / 255 * pattern).clamp(0, 1)


def test_top_octave_energy_sees_what_bicubic_cannot_make(baboon):
    hr = _tensor(baboon)
    top, below = top_octave_energy(hr, hr)
    assert top.item() == 1.0 and below.item() == 1.0  # HR against itself, exactly
    top, below = top_octave_energy(_bicubic(baboon, 4), hr)
    assert top.item() < 0.01 and below.item() < 0.1  # bicubic x4 leaves the top octave nearly empty
    sharpened = (hr + (hr - _blur(hr))).clamp(0, 1)
    assert top_octave_energy(sharpened, hr)[0].item() > 2
    assert top_octave_energy(_noise(hr, 6), hr)[0].item() > 1.05  # noise adds energy: never read it alone
    assert top_octave_energy(_noise(_bicubic(baboon, 4), 6), hr)[0].item() > 10 * top.item()


def test_top_octave_share_is_the_band_of_white_noise_and_near_zero_for_bicubic(baboon):
    g = torch.Generator().manual_seed(0)
    grey = (0.5 + 0.1 * torch.randn(1, 1, 200, 240, generator=g, dtype=torch.float64)).clamp(0, 1).expand(1, 3, -1, -1)
    # a flat spectrum: the band's share of the frequency square, 1 - pi * 0.25^2
    assert top_octave_share(grey).item() == pytest.approx(1 - np.pi / 16, abs=0.02)
    hr, bicubic = _tensor(baboon), _bicubic(baboon, 4)
    assert 0.02 < top_octave_share(hr).item() < 0.2  # fur: a few percent of all power (5.5%), most is coarser
    assert top_octave_share(bicubic).item() < 0.01 * top_octave_share(hr).item()  # bicubic x4 leaves the band empty


def test_band_edges_follow_the_scale(baboon):
    hr = _tensor(baboon)
    top3, below3 = top_octave_energy(_bicubic(baboon, 3), hr, scale=3)
    assert top3.item() < 0.01 and below3.item() < 0.2
    assert torch.isnan(top_octave_energy(hr, hr, scale=2)[1]).all()  # LR Nyquist already at 0.25: no band below
    with pytest.raises(ConfigError, match="increase"):
        band_energy_ratios(hr, hr, (0.25, 0.1))
    with pytest.raises(ConfigError, match="no energy"):
        top_octave_energy(torch.full((1, 3, 64, 64), 0.5), torch.full((1, 3, 64, 64), 0.5))


def test_lattice_frequencies():
    assert lattice_frequencies(4) == [(0, 1), (0, 2), (1, 0), (1, 1), (1, 2), (1, 3), (2, 0), (2, 1), (2, 2)]
    assert len(lattice_frequencies(3)) == 4 and len(lattice_frequencies(2)) == 3
    with pytest.raises(ConfigError):
        lattice_frequencies(1)


def test_lattice_excess_ignores_texture_blur_and_noise(baboon):
    hr = _tensor(baboon)
    assert lattice_excess(hr, hr).item() == 0.0
    for sr in (_noise(hr, 6), _blur(hr), (hr + (hr - _blur(hr))).clamp(0, 1)):
        assert abs(lattice_excess(sr, hr).item()) < 0.1
    assert abs(lattice_excess(_bicubic(baboon, 4), hr).item()) < 0.2  # smooth outputs do not score high
    # a natural texture (grass) without a lattice, added to baboon or measured on its own
    grass = torch.from_numpy(data.grass()).double()[None, None] / 255
    h, w = min(hr.shape[-2], 512), min(hr.shape[-1], 512)
    with_grass = (hr[..., :h, :w] + 0.5 * (grass - _blur(grass))[..., :h, :w]).clamp(0, 1)
    assert abs(lattice_excess(with_grass, hr[..., :h, :w]).item()) < 0.1
    grass_rgb = np.repeat(data.grass()[..., None], 3, axis=2)
    assert abs(lattice_excess(_bicubic(grass_rgb, 4), _tensor(grass_rgb)).item()) < 0.1


def test_lattice_excess_sees_a_faint_lattice_of_the_scale_period(baboon):
    hr = _tensor(baboon)
    grass = _tensor(np.repeat(data.grass()[..., None], 3, axis=2))
    # 3 grey levels on one pixel of every 4x4 cell: each harmonic is 3/16 of a level
    assert lattice_excess(_lattice(hr, 4, 3), hr).item() > 0.5
    assert lattice_excess(_lattice(grass, 4, 3), grass).item() > 0.3
    assert lattice_excess(_lattice(hr, 3, 3), hr, scale=3).item() > 0.5
    # a period sharing no factor with the scale has no energy at its lattice frequencies
    assert abs(lattice_excess(_lattice(hr, 3, 3), hr, scale=4).item()) < 0.05
    assert abs(lattice_excess(_lattice(hr, 4, 3), hr, scale=3).item()) < 0.05


def test_lattice_excess_needs_room_for_the_rings():
    x = torch.rand(1, 3, 70, 70, generator=torch.Generator().manual_seed(0))
    with pytest.raises(ConfigError, match="64 px"):
        lattice_excess(x, x)
    assert lattice_excess(x, x, scale=2).item() == 0.0
