"""MATLAB-compatible bicubic: hand-worked kernels, invariants, and bit-exactness with the benchmark LR."""
import numpy as np
import pytest
import torch
from PIL import Image

from srgan_lite.data.imresize import (
    _plan,
    bicubic_degrade,
    cubic,
    imresize,
    imresize_uint8,
    modcrop,
    pil_resize,
    torch_resize,
    weight_matrix,
)
from srgan_lite.errors import ConfigError


def test_cubic_kernel_values():
    # Keys (a = -0.5): 1 at 0, zero at the integers, the negative lobe at 1.5.
    values = cubic(np.array([0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5]))
    expected = [1.0, 0.8671875, 0.5625, 0.2265625, 0.0, -0.0703125, -0.0625, -0.0234375, 0.0, 0.0]
    np.testing.assert_allclose(values, expected, atol=1e-15)
    assert cubic(np.array([-0.75]))[0] == cubic(np.array([0.75]))[0]


def test_upscale_x2_weights_by_hand():
    # x2: output pixel x (1-based) sits at u = x/2 + 0.25. x = 4 -> u = 2.25: taps at input 1..4 are
    # at distances 1.25, 0.25, -0.75, -1.75.
    m = weight_matrix(4, 8, 2.0)
    np.testing.assert_allclose(m[3], [-0.0703125, 0.8671875, 0.2265625, -0.0234375], atol=1e-15)
    # x = 1 -> u = 0.75: taps at inputs -1, 0 fall outside. Replicate clamps them onto input 1 ...
    np.testing.assert_allclose(m[0], [-0.0234375 + 0.2265625 + 0.8671875, -0.0703125, 0, 0], atol=1e-15)
    # ... symmetric mirrors input 0 -> 1 and input -1 -> 2.
    sym = weight_matrix(4, 8, 2.0, boundary="symmetric")
    np.testing.assert_allclose(sym[0], [0.2265625 + 0.8671875, -0.0703125 - 0.0234375, 0, 0], atol=1e-15)


# Interior rows of the antialiased downscaling passes, worked by hand from Keys' kernel: at x1/r the kernel
# is cubic(t/r)/r, and output pixel x sits at u = r*x - (r-1)/2, so the taps are at half-integer
# distances t = +-0.5, +-1.5, ... For cubic at k/4 (x1/2) and k/8 (x1/4) the values are dyadic:
# 256 * cubic(k/4)/2 = 111, 29, -9, -3 for k = 1, 3, 5, 7 (1024 cubic(x) = 3k^3 - 40k^2 + 1024 below 1,
# -k^3 + 40k^2 - 512k + 2048 above, with x = k/8, gives 4096 * cubic(k/8)/4 = 987, 745, 399, 93, -49,
# -75, -45, -7 for k = 1, 3, ..., 15). Each side sums to half, so no normalisation is needed.
HALF_ROW = np.array([-3, -9, 29, 111, 111, 29, -9, -3]) / 256
QUARTER_ROW = np.array([-7, -45, -75, -49, 93, 399, 745, 987, 987, 745, 399, 93, -49, -75, -45, -7]) / 4096
# x1/3 (odd scale: whole-pixel distances 0, +-1, ..., +-5): 81 * cubic(k/3)/3 = 27, 21, 9, 0, -2, -1.
THIRD_ROW = np.array([-1, -2, 0, 9, 21, 27, 21, 9, 0, -2, -1]) / 81


def test_downscale_uses_the_widened_kernel_worked_by_hand():
    np.testing.assert_array_equal(weight_matrix(16, 8, 0.5)[3, 3:11], HALF_ROW)  # u = 7.5: inputs 4..11 (1-based)
    quarter = weight_matrix(64, 16, 0.25)[8]  # u = 34.5: inputs 27..42
    np.testing.assert_array_equal(quarter[26:42], QUARTER_ROW)
    assert np.count_nonzero(quarter) == 16
    third = weight_matrix(30, 10, 1 / 3)[4]  # u = 14: inputs 9..19; distance +-3 is a zero of the kernel
    np.testing.assert_allclose(third[8:19], THIRD_ROW, atol=1e-15)
    assert np.count_nonzero(np.abs(third) > 1e-15) == 9
    no_aa = weight_matrix(64, 16, 0.25, antialias=False)
    assert np.count_nonzero(no_aa[8]) == 4  # plain cubic: 4 taps


def test_weights_are_mirror_symmetric():
    # Resizing commutes with flipping: row j is row n-1-j reversed.
    for n_in, n_out, s in ((40, 10, 0.25), (10, 40, 4.0), (37, 74, 2.0)):
        m = weight_matrix(n_in, n_out, s)
        np.testing.assert_allclose(m, m[::-1, ::-1], atol=1e-12)


@pytest.mark.parametrize("scale", [0.25, 0.5, 1 / 3, 2.0, 3.0, 4.0])
def test_constant_image_stays_constant(scale):
    x = torch.full((2, 3, 17, 23), 0.3, dtype=torch.float64)
    np.testing.assert_allclose(imresize(x, scale).numpy(), 0.3, atol=1e-12)
    assert (imresize_uint8(np.full((17, 23, 3), 77, np.uint8), scale) == 77).all()


def test_shapes_for_odd_sizes():
    x = torch.rand(3, 37, 53)
    small = imresize(x, 0.25)
    assert small.shape == (3, 10, 14)  # MATLAB: ceil(scale * size)
    assert imresize(small, 4).shape == (3, 40, 56)
    assert imresize(x, size=(11, 13)).shape == (3, 11, 13)
    assert imresize_uint8(np.zeros((37, 53), np.uint8), 0.25).shape == (10, 14)


def test_impulse_response_ramps_and_batches():
    # An impulse at input (8, 8) (1-based) lands on outputs 3..6 with the x1/2 row's weights, in both directions.
    impulse = torch.zeros(16, 16, dtype=torch.float64)
    impulse[7, 7] = 1.0
    response = torch.tensor([0, 0, -9, 111, 29, -3, 0, 0], dtype=torch.float64) / 256
    assert torch.equal(imresize(impulse, 0.5), torch.outer(response, response))
    # A symmetric kernel that sums to one reproduces a linear ramp: output x samples it at u = 2x - 0.5.
    ramp = torch.arange(1.0, 33.0, dtype=torch.float64).expand(4, 32)
    torch.testing.assert_close(imresize(ramp, 0.5)[0, 2:-2], torch.arange(3.0, 15.0, dtype=torch.float64) * 2 - 0.5)
    x = torch.rand(2, 3, 20, 28, dtype=torch.float64)
    out = imresize(x, 0.5)
    assert out.shape == (2, 3, 10, 14)
    torch.testing.assert_close(imresize(x[1, 2], 0.5), out[1, 2])


def test_smaller_scale_is_resized_first():
    assert [d for d, _, _ in _plan((10, 10), None, (20, 5))] == [1, 0]  # width (x0.5) before height (x2)
    assert [d for d, _, _ in _plan((10, 10), 0.5, None)] == [0, 1]  # ties: height first


def test_uint8_rounds_after_each_pass_as_the_benchmark_lr_does(benchmark_root):
    # MATLAB's imresize on uint8 rounds after the height pass and again after the width pass; rounding the
    # float result once instead misses about one benchmark LR pixel in ten.
    hr = modcrop(np.asarray(Image.open(benchmark_root / "Set5" / "HR" / "baby.png")), 4)
    lr = np.asarray(Image.open(benchmark_root / "Set5" / "LR_bicubic" / "X4" / "baby.png"))
    assert np.array_equal(imresize_uint8(hr, 0.25), lr)
    x = torch.from_numpy(hr.copy()).double().permute(2, 0, 1)
    once = imresize(x, 0.25).add(0.5).floor().clamp(0, 255).permute(1, 2, 0).numpy().astype(np.uint8)
    assert np.count_nonzero(once != lr) > 0.05 * lr.size


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_gpu_matches_cpu():
    x = torch.rand(4, 3, 96, 96)
    torch.testing.assert_close(imresize(x.cuda(), 0.25).cpu(), imresize(x, 0.25), atol=1e-5, rtol=0)


def _benchmark_pairs(root):
    for hr_path in sorted((root / "Set5" / "HR").glob("*.png")) + sorted((root / "Set14" / "HR").glob("*.png")):
        yield hr_path, hr_path.parent.parent / "LR_bicubic" / "X4" / hr_path.name


def test_bicubic_degrade_is_bit_exact_with_benchmark_lr(benchmark_root):
    checked = 0
    for hr_path, lr_path in _benchmark_pairs(benchmark_root):
        hr, lr = np.asarray(Image.open(hr_path)), np.asarray(Image.open(lr_path))  # bridge stays 1-channel
        out = bicubic_degrade(hr, 4)
        assert out.shape == lr.shape, hr_path.name
        assert np.array_equal(out, lr), f"{hr_path.name}: {np.count_nonzero(out != lr)} pixels differ"
        checked += 1
    assert checked == 19


def test_symmetric_boundary_does_not_reproduce_benchmark_lr(benchmark_root):
    # Why the default is "replicate": the MATLAB that made SelfExSR's LR clamped border indices.
    hr = np.asarray(Image.open(benchmark_root / "Set5" / "HR" / "baby.png"))
    lr = np.asarray(Image.open(benchmark_root / "Set5" / "LR_bicubic" / "X4" / "baby.png"))
    assert np.count_nonzero(imresize_uint8(modcrop(hr, 4), 0.25, boundary="symmetric") != lr) > 0


def test_modcrop_and_degrade(tiny_rgb):
    assert modcrop(tiny_rgb[:39, :51], 4).shape == (36, 48, 3)
    assert bicubic_degrade(tiny_rgb[:39, :51], 4).shape == (9, 12, 3)


def test_other_bicubics_differ_from_matlab(tiny_rgb):
    x = torch.from_numpy(tiny_rgb).permute(2, 0, 1).float() / 255
    theirs = torch_resize(x, 0.5)  # a = -0.75
    assert theirs.shape == (3, 20, 26)
    assert (theirs - imresize(x, 0.5)).abs().max() > 1e-3
    pil = pil_resize(tiny_rgb, 0.5)
    assert pil.shape == (20, 26, 3) and pil.dtype == np.uint8
    assert pil_resize(tiny_rgb, (10, 13)).shape == (10, 13, 3)
    # Same kernel family: within a few grey levels away from the borders.
    assert np.abs(pil.astype(int) - imresize_uint8(tiny_rgb, 0.5).astype(int))[3:-3, 3:-3].max() <= 8


def test_errors():
    with pytest.raises(ConfigError):
        imresize(torch.rand(8, 8), 0.5, size=(4, 4))
    with pytest.raises(ConfigError):
        imresize(torch.zeros(8, 8, dtype=torch.uint8), 0.5)
    with pytest.raises(ConfigError):
        imresize_uint8(np.zeros((8, 8), np.float32), 0.5)
    with pytest.raises(ConfigError):
        weight_matrix(8, 4, 0.5, True, "wrap")
