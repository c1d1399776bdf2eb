import pytest
import torch

from srgan_lite import PAPER_LAYERS, Discriminator, count_parameters
from srgan_lite.errors import ConfigError


def test_paper_layers_and_parameter_count():
    assert [c for c, _ in PAPER_LAYERS] == [64, 64, 128, 128, 256, 256, 512, 512]
    assert [s for _, s in PAPER_LAYERS] == [1, 2, 1, 2, 1, 2, 1, 2]
    d = Discriminator()
    n = count_parameters(d)
    print(f"Discriminator parameters: {n:,}")
    assert n == 23_565_505
    convs = [m for m in d.features if isinstance(m, torch.nn.Conv2d)]
    bns = [m for m in d.features if isinstance(m, torch.nn.BatchNorm2d)]
    assert len(convs) == 8 and len(bns) == 7  # BN after every conv but the first
    assert all(m.negative_slope == 0.2 for m in d.modules() if isinstance(m, torch.nn.LeakyReLU))
    assert d.classifier[1].out_features == 1024 and d.classifier[3].out_features == 1


def test_returns_logits_per_image():
    torch.manual_seed(0)
    out = Discriminator()(torch.rand(3, 3, 96, 96) * 2 - 1)
    assert out.shape == (3,)


def test_wrong_size_is_a_clear_error():
    with pytest.raises(ConfigError, match="96x96"):
        Discriminator()(torch.rand(1, 3, 128, 128))
    with pytest.raises(ConfigError, match="multiple of 16"):
        Discriminator(image_size=100)


def test_adaptive_pool_accepts_other_sizes():
    d = Discriminator(image_size=32, adaptive_pool=True)
    assert d(torch.rand(2, 3, 64, 48)).shape == (2,)


def test_gradients_reach_every_parameter():
    d = Discriminator(image_size=32)
    d(torch.rand(2, 3, 32, 32)).sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in d.parameters())
