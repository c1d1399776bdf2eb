"""The paper's discriminator (Fig. 4, bottom), read off the module's layers and compared with the figure."""
import pytest
import torch
from torch import nn

from srgan_lite import Discriminator, count_parameters, discriminator_loss
from srgan_lite.errors import ConfigError

#: Fig. 4 (bottom) of Ledig et al. 2017, written out: k = kernel, n = feature maps, s = stride; BN after
#: every conv but the first; LeakyReLU with alpha = 0.2; two dense layers and a sigmoid.
PAPER_FIG4 = [
    "k3n64s1", "LeakyReLU(0.2)",
    "k3n64s2", "BN", "LeakyReLU(0.2)",
    "k3n128s1", "BN", "LeakyReLU(0.2)",
    "k3n128s2", "BN", "LeakyReLU(0.2)",
    "k3n256s1", "BN", "LeakyReLU(0.2)",
    "k3n256s2", "BN", "LeakyReLU(0.2)",
    "k3n512s1", "BN", "LeakyReLU(0.2)",
    "k3n512s2", "BN", "LeakyReLU(0.2)",
    "Dense(1024)", "LeakyReLU(0.2)", "Dense(1)",
]


def _describe(module: nn.Module) -> list[str]:
    """The layers of ``module`` in the figure's notation (parameter-free reshapes left out)."""
    words = []
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            assert m.kernel_size[0] == m.kernel_size[1] and m.stride[0] == m.stride[1]
            assert m.padding == (m.kernel_size[0] // 2,) * 2  # "same" padding: only the stride shrinks the map
            words.append(f"k{m.kernel_size[0]}n{m.out_channels}s{m.stride[0]}")
        elif isinstance(m, nn.BatchNorm2d):
            words.append("BN")
        elif isinstance(m, nn.LeakyReLU):
            words.append(f"LeakyReLU({m.negative_slope})")
        elif isinstance(m, nn.Linear):
            words.append(f"Dense({m.out_features})")
    return words


def test_layers_are_the_papers_fig4():
    assert _describe(Discriminator()) == PAPER_FIG4


def test_the_sigmoid_is_in_the_loss():
    """D returns logits; Fig. 4's final sigmoid is applied by the loss (BCE with logits): -log D(HR) - log(1 - D(SR))."""
    torch.manual_seed(0)
    d = Discriminator(image_size=32).eval()
    real, fake = d(torch.rand(3, 3, 32, 32) * 2 - 1), d(torch.rand(2, 3, 32, 32) * 2 - 1)
    assert real.shape == (3,) and fake.shape == (2,)
    expected = -torch.log(torch.sigmoid(real)).mean() - torch.log(1 - torch.sigmoid(fake)).mean()
    torch.testing.assert_close(discriminator_loss(real, fake), expected)


def test_parameter_count_is_the_flatten_and_dense_design_of_the_paper():
    """96x96 in, four stride-2 convs: 512 maps of 6x6 = 18,432 features into Dense(1024), counted from Fig. 4."""
    d = Discriminator()
    channels = [3, 64, 64, 128, 128, 256, 256, 512, 512]
    convs = sum(9 * c_in * c_out + c_out for c_in, c_out in zip(channels, channels[1:]))
    batch_norms = sum(2 * c for c in channels[2:])  # gamma and beta, after every conv but the first
    dense = (512 * 6 * 6 * 1024 + 1024) + (1024 + 1)
    assert count_parameters(d) == convs + batch_norms + dense == 23_565_505
    assert d.feature_size == 6 and d.features(torch.rand(1, 3, 96, 96)).shape == (1, 512, 6, 6)


def test_adaptive_pool_is_the_papers_network_on_96x96_inputs():
    """``adaptive_pool=True`` (not in the paper) pools the last maps to 6x6: on 96x96 inputs they already are
    6x6, the pool is the identity and D is the paper's, weight for weight, with the same parameters."""
    torch.manual_seed(0)
    paper = Discriminator(96).eval()
    adaptive = Discriminator(96, adaptive_pool=True).eval()
    adaptive.load_state_dict(paper.state_dict())  # the pool has no parameters: the same state dict fits
    assert count_parameters(adaptive) == count_parameters(paper)
    x = torch.rand(2, 3, 96, 96) * 2 - 1
    maps = paper.features(x)
    assert torch.equal(adaptive.pool(maps), maps)
    assert torch.equal(adaptive(x), paper(x))


def test_adaptive_pool_averages_larger_maps_to_the_built_size():
    """Twice the built size: each 2x2 group of the last maps is averaged into the grid the dense layer expects."""
    torch.manual_seed(0)
    d = Discriminator(32, adaptive_pool=True).eval()
    big = torch.rand(1, 3, 64, 64) * 2 - 1
    pooled = nn.functional.avg_pool2d(d.features(big), 2)
    assert pooled.shape == (1, 512, 2, 2)
    torch.testing.assert_close(d(big), d.classifier(pooled).squeeze(1))


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
