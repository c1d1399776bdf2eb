import pytest
import torch

from srgan_lite import GeneratorConfig, SRResNet, count_parameters, srresnet
from srgan_lite.errors import ConfigError


@pytest.mark.parametrize("scale", [2, 4, 8])
def test_output_shape_per_scale(scale):
    model = srresnet(scale=scale, num_blocks=2, channels=16)
    assert model(torch.rand(2, 3, 10, 7)).shape == (2, 3, 10 * scale, 7 * scale)


def test_paper_parameter_count():
    model = srresnet()
    n = count_parameters(model)
    print(f"SRResNet parameters: {n:,}")
    # 9x9 conv (15,616) + PReLU + 16 blocks x 74,113 + conv3x3+BN (37,056) + 2 x (147,712 + 1) + 9x9 conv (15,555)
    assert n == 1_549_462


def test_paper_structure():
    model = srresnet()
    assert model.head[0].kernel_size == (9, 9) and model.tail.kernel_size == (9, 9)
    assert len(model.body) == 16
    assert len(model.upsample) == 2 and all(u.shuffle.upscale_factor == 2 for u in model.upsample)
    assert isinstance(model.body_tail[1], torch.nn.BatchNorm2d)


def test_long_skip_carries_first_features():
    torch.manual_seed(0)
    model = srresnet(num_blocks=1, channels=8).eval()
    x = torch.rand(1, 3, 6, 6)
    with torch.no_grad():
        for p in model.body_tail.parameters():
            p.zero_()  # the residual trunk now adds nothing: only the skip remains
        features = model.head(x)
        assert torch.allclose(model(x), model.tail(model.upsample(features)), atol=1e-6)


def test_gradients_reach_every_parameter():
    torch.manual_seed(0)
    model = srresnet(num_blocks=2)
    model(torch.rand(2, 3, 12, 12)).square().mean().backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None or not p.grad.abs().sum() > 0]
    assert missing == []


def test_variants_without_bn():
    model = srresnet(batch_norm=False, num_blocks=4, channels=32)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules())
    assert model(torch.rand(1, 3, 8, 8)).shape == (1, 3, 32, 32)


@pytest.mark.parametrize("kwargs", [{"scale": 5}, {"num_blocks": -1}, {"channels": 0}])
def test_invalid_config(kwargs):
    with pytest.raises(ConfigError):
        GeneratorConfig(**kwargs)


def test_config_round_trip():
    config = GeneratorConfig(scale=2, num_blocks=3)
    assert SRResNet(GeneratorConfig(**config.to_dict())).config == config


def test_docstrings_name_every_default_that_is_not_the_papers():
    from dataclasses import fields

    from srgan_lite.models.srresnet import PAPER_CONFIG

    differing = [f.name for f in fields(GeneratorConfig) if getattr(GeneratorConfig(), f.name) != getattr(PAPER_CONFIG, f.name)]
    assert differing == ["icnr"]
    for doc in (" ".join(srresnet.__doc__.split()), " ".join(SRResNet.__doc__.split())):
        assert "icnr=True" in doc and "icnr=False" in doc and ("not the paper's" in doc or "paper does not use" in doc)
    assert count_parameters(SRResNet(PAPER_CONFIG)) == count_parameters(srresnet())
