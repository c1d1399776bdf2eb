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


# --------------------------------------------------------------------------- the patch discriminator (not the paper's)
def test_patch_discriminator_gives_one_logit_per_16px_block_and_no_batchnorm():
    from srgan_lite.models import DiscriminatorConfig, build_discriminator

    d = build_discriminator(DiscriminatorConfig(arch="patch", channels=16), 48)
    assert d(torch.rand(2, 3, 48, 64)).shape == (2, 3, 4)  # any size that is a multiple of 16
    assert not any(isinstance(m, nn.BatchNorm2d) for m in d.modules())
    widths = [m.out_channels for m in d.modules() if isinstance(m, nn.Conv2d)]
    assert widths == [16, 16, 32, 32, 64, 64, 128, 128, 1]  # the paper's table at a quarter width, then the head


def test_patch_discriminator_verdict_on_one_crop_does_not_depend_on_the_batch():
    from srgan_lite.models import PatchDiscriminator

    torch.manual_seed(0)
    d = PatchDiscriminator().train()
    x = torch.rand(3, 3, 32, 32)
    d(x)  # a training-mode pass (it advances spectral normalisation's power iteration)
    d.eval()  # the weights are now fixed; the paper's D would still differ here in train mode (BatchNorm)
    alone, together = d(x[:1]), d(x)[:1]
    torch.testing.assert_close(alone, together, rtol=1e-4, atol=1e-6)


def test_spectral_norm_bounds_every_conv_but_the_first():
    from srgan_lite.models import PatchDiscriminator

    d = PatchDiscriminator()
    for _ in range(30):  # power iterations run in train-mode forward passes
        d(torch.rand(1, 3, 32, 32))
    convs = [m for m in d.modules() if isinstance(m, nn.Conv2d)]
    for conv in convs[1:]:
        sigma = torch.linalg.matrix_norm(conv.weight.detach().flatten(1), ord=2)
        assert sigma == pytest.approx(1.0, abs=0.05)
    assert torch.linalg.matrix_norm(convs[0].weight.detach().flatten(1), ord=2) != pytest.approx(1.0, abs=0.05)


def test_scaled_paper_discriminator_and_bad_options():
    from srgan_lite.models import DiscriminatorConfig, build_discriminator

    d = build_discriminator(DiscriminatorConfig(channels=32), 32)
    assert [m.out_channels for m in d.features if isinstance(m, nn.Conv2d)] == [32, 32, 64, 64, 128, 128, 256, 256]
    assert d(torch.rand(2, 3, 32, 32)).shape == (2,)
    with pytest.raises(ConfigError, match="discriminator.arch='unet' is unknown"):
        DiscriminatorConfig(arch="unet")
    with pytest.raises(ConfigError, match="discriminator.channels=0"):
        DiscriminatorConfig(channels=0)
    with pytest.raises(ConfigError, match="multiples of 16"):
        build_discriminator(DiscriminatorConfig(arch="patch"), 48)(torch.rand(1, 3, 40, 40))
