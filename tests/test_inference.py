import numpy as np
import pytest
import torch

from srgan_lite import srresnet
from srgan_lite.errors import ConfigError
from srgan_lite.inference import receptive_radius, super_resolve, upscale_tensor


def test_receptive_radius_of_the_paper_generator():
    # 4 (9x9) + 2 x 16 blocks + 1 (trunk conv) + 1 + 1/2 (sub-pixel convs) + 4/4 (final 9x9 at HR) = 39.5
    assert receptive_radius(srresnet().config) == 40


def test_receptive_radius_is_an_upper_bound_empirically():
    torch.manual_seed(0)
    model = srresnet(num_blocks=2, channels=8).eval()
    lr = torch.rand(1, 3, 41, 41, requires_grad=True)
    model(lr)[0, :, 82, 82].sum().backward()  # an HR pixel in the middle of LR pixel 20
    rows = torch.nonzero(lr.grad.abs().sum(dim=(0, 1)).sum(dim=1)).flatten()
    assert (20 - rows.min()).item() <= receptive_radius(model.config) and (rows.max() - 20).item() <= receptive_radius(model.config)


def test_tiled_equals_untiled():
    torch.manual_seed(0)
    model = srresnet(num_blocks=3, channels=16).eval()
    for m in model.modules():  # non-trivial BN statistics
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
    lr = torch.rand(1, 3, 37, 29)
    whole = upscale_tensor(model, lr)
    tiled = upscale_tensor(model, lr, tile=10)
    assert whole.shape == tiled.shape == (1, 3, 148, 116)
    assert (whole - tiled).abs().max() < 1e-4
    too_small = upscale_tensor(model, lr, tile=10, overlap=1)
    assert (whole - too_small).abs().max() > 1e-4  # the overlap must cover the receptive field


def test_super_resolve_uint8_and_bad_tile():
    model = srresnet(num_blocks=1, channels=8)
    out = super_resolve(model, np.zeros((5, 6, 3), np.uint8))
    assert out.shape == (20, 24, 3) and out.dtype == np.uint8
    assert model.training  # restored
    with pytest.raises(ConfigError, match="--tile"):
        upscale_tensor(model, torch.rand(1, 3, 8, 8), tile=-1)


def _small_model():
    torch.manual_seed(0)
    return srresnet(num_blocks=3, channels=16).eval()


def test_tile_from_a_memory_budget():
    from srgan_lite.inference import activation_bytes_per_pixel, choose_tile

    model = _small_model()
    per_pixel = activation_bytes_per_pixel(model)
    assert per_pixel == 3 * 64 * 4 * 4  # 3x the last 64-channel conv at 2x: 64 ch x 4 px x 4 bytes per LR pixel
    assert activation_bytes_per_pixel(model, precision="bf16") == per_pixel  # oneDNN's bf16 path is not half on a CPU
    assert choose_tile(model, (1, 3, 120, 100), max_memory=2**30) == 0  # fits: no tiling
    budget = 24 * 2**20
    tile = choose_tile(model, (1, 3, 120, 100), max_memory=budget)
    overlap = receptive_radius(model.config)
    assert tile >= 16 and tile % 8 == 0
    assert (tile + 2 * overlap) ** 2 * per_pixel <= budget  # every window fits the budget
    assert choose_tile(model, (2, 3, 120, 100), max_memory=budget) < tile  # a batch needs smaller tiles
    lr = torch.rand(1, 3, 120, 100)
    whole = upscale_tensor(model, lr)
    assert (upscale_tensor(model, lr, tile=None, max_memory=budget) - whole).abs().max() < 1e-4
    with pytest.raises(ConfigError, match="--max-memory .* too small") as error:
        upscale_tensor(model, lr, tile=None, max_memory=2**20)
    assert "\n" not in str(error.value)


def test_default_budget_is_a_fraction_of_free_memory():
    from srgan_lite.inference import choose_tile, free_memory

    assert free_memory("cpu") > 2**20
    assert choose_tile(_small_model(), (1, 3, 24, 24)) == 0  # a tiny image fits whatever is free


def test_precision_bf16_is_close_and_bad_values_are_one_line():
    from srgan_lite.inference import resolve_precision

    model = _small_model()
    lr = torch.rand(1, 3, 20, 20)
    fp32 = upscale_tensor(model, lr, precision="fp32")
    bf16 = upscale_tensor(model, lr, precision="bf16")
    assert bf16.dtype == torch.float32 and 0 < (bf16 - fp32).abs().max() < 0.05
    assert resolve_precision("auto", torch.device("cpu")) in ("fp32", "bf16")
    with pytest.raises(ConfigError, match="--precision 'fp16' is unknown"):
        upscale_tensor(model, lr, precision="fp16")


def test_parse_bytes():
    from srgan_lite.inference import parse_bytes

    assert parse_bytes("512MiB") == 512 * 2**20 and parse_bytes("2GiB") == 2 * 2**30
    assert parse_bytes("1.5GB") == 1_500_000_000 and parse_bytes("1000000") == 1_000_000 and parse_bytes("64 kib") == 65536
    for bad in ("2 parsecs", "-1GiB", "GiB", "0", ""):
        with pytest.raises(ConfigError, match="--max-memory"):
            parse_bytes(bad)
