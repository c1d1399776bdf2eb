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
