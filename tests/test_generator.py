"""The paper's generator (Fig. 4, top), its config, and the torchvision-style builder with ``weights=``."""
from dataclasses import replace

import pytest
import torch

from srgan_lite import GeneratorConfig, SRResNet, count_parameters, load_pretrained, save_generator, srresnet
from srgan_lite.errors import ConfigError, WeightsError


def _conv(k: int, c_in: int, c_out: int) -> int:
    return k * k * c_in * c_out + c_out


@pytest.mark.parametrize("scale", [2, 3, 4, 8])
def test_output_shape_per_scale(scale):
    model = srresnet(scale=scale, num_blocks=2, channels=16)
    assert model(torch.rand(2, 3, 10, 7)).shape == (2, 3, 10 * scale, 7 * scale)


def test_paper_parameter_count_from_fig4():
    """k9n64s1 + PReLU; B = 16 blocks of (k3n64s1, BN, PReLU, k3n64s1, BN); k3n64s1 + BN; two sub-pixel stages
    k3n256s1 + PixelShuffle x2 + PReLU; k9n3s1."""
    block = 2 * _conv(3, 64, 64) + 2 * 2 * 64 + 1
    expected = (_conv(9, 3, 64) + 1) + 16 * block + (_conv(3, 64, 64) + 2 * 64) + 2 * (_conv(3, 64, 256) + 1) \
        + _conv(9, 64, 3)
    assert count_parameters(srresnet()) == expected == 1_549_462


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


@pytest.mark.parametrize("kwargs, message", [
    ({"scale": 5}, "scale=5"), ({"num_blocks": -1}, "num_blocks=-1"), ({"channels": 0}, "channels=0"),
    ({"arch": "edsr"}, "model.arch='edsr' is unknown: choose srresnet, rrdbnet"),
    ({"growth": 16}, "model.growth=16 .*model.arch=srresnet"),
    ({"arch": "rrdbnet", "scale": 3}, "model.scale=3 is not supported by model.arch=rrdbnet"),
    ({"arch": "rrdbnet", "growth": 0}, "model.growth=0"),
])
def test_invalid_config_is_one_line_naming_the_option(kwargs, message):
    with pytest.raises(ConfigError, match=message) as error:
        GeneratorConfig(**kwargs)
    assert "\n" not in str(error.value)


def test_config_round_trip():
    config = GeneratorConfig(scale=2, num_blocks=3)
    assert SRResNet(GeneratorConfig(**config.to_dict())).config == config


def test_srresnet_refuses_a_config_of_another_arch():
    with pytest.raises(ConfigError, match="build_generator"):
        SRResNet(GeneratorConfig(arch="rrdbnet", num_blocks=1, channels=8))


def test_docstrings_name_every_default_that_is_not_the_papers():
    from dataclasses import fields

    from srgan_lite.models.srresnet import PAPER_CONFIG

    differing = [f.name for f in fields(GeneratorConfig) if getattr(GeneratorConfig(), f.name) != getattr(PAPER_CONFIG, f.name)]
    assert differing == ["icnr"]
    for doc in (" ".join(srresnet.__doc__.split()), " ".join(SRResNet.__doc__.split())):
        assert "icnr=True" in doc and "icnr=False" in doc and ("not the paper's" in doc or "paper does not use" in doc)
    assert count_parameters(SRResNet(PAPER_CONFIG)) == count_parameters(srresnet())


def test_weights_by_name_are_the_shipped_model():
    model = srresnet(weights="srresnet_x4")
    shipped = load_pretrained("srresnet_x4")
    assert isinstance(model, SRResNet) and not model.training and model.config == shipped.config
    assert model.state_dict().keys() == shipped.state_dict().keys()
    assert all(torch.equal(v, shipped.state_dict()[k]) for k, v in model.state_dict().items())
    assert srresnet(weights="srresnet_x4", scale=4, num_blocks=16).config == shipped.config  # repeating is fine


def test_weights_by_path_and_a_fresh_model(tmp_path):
    torch.manual_seed(0)
    fresh = srresnet(scale=2, num_blocks=1, channels=8)
    assert fresh.training
    path = save_generator(fresh, tmp_path / "g.safetensors")
    loaded = srresnet(weights=path)
    assert loaded.config == fresh.config and not loaded.training
    x = torch.rand(1, 3, 5, 5)
    assert torch.equal(loaded(x), fresh.eval()(x))


def test_weights_that_do_not_fit_the_builder_are_refused(tmp_path):
    from srgan_lite.models import rrdbnet

    with pytest.raises(WeightsError, match=r"srresnet\(weights='srresnet_x4', num_blocks=8\): the weights have "
                                           r"num_blocks=16; leave num_blocks out"):
        srresnet(weights="srresnet_x4", num_blocks=8)
    rrdb = save_generator(rrdbnet(num_blocks=1, channels=8), tmp_path / "rrdb.safetensors")
    with pytest.raises(WeightsError, match="arch 'rrdbnet', not 'srresnet'") as error:
        srresnet(weights=rrdb)
    assert "\n" not in str(error.value)
    with pytest.raises(WeightsError, match="unknown weights 'nope'"):
        srresnet(weights="nope")


def test_rrdbnet_arch_describes_the_network_it_builds():
    """``--set model.arch=rrdbnet`` replaces one field of the default config: the SRResNet-only fields turn
    off (RRDBNet has no BatchNorm and no sub-pixel convolution) and growth takes ESRGAN's 32."""
    config = replace(GeneratorConfig(), arch="rrdbnet")
    assert (config.batch_norm, config.icnr, config.growth) == (False, False, 32)
    assert (config.scale, config.num_blocks, config.channels) == (4, 16, 64)
    assert replace(config, growth=8).growth == 8
    assert GeneratorConfig(**config.to_dict()) == config


def test_resize_convolution_upsampler_has_no_sub_pixel_lattice_of_its_own():
    """Resize-convolution (model.upsampler=resize): every output pixel by the same kernel, so a constant feature
    map comes out constant, while a sub-pixel conv with random weights prints a 2-px pattern on it."""
    import torch

    from srgan_lite.models import ResizeConvUpsampler, SubPixelUpsampler

    torch.manual_seed(0)
    flat = torch.ones(1, 8, 6, 6)
    resized = ResizeConvUpsampler(8, 2)(flat)[..., 2:-2, 2:-2]  # away from the zero padding
    subpixel = SubPixelUpsampler(8, 2, icnr=False)(flat)[..., 2:-2, 2:-2]
    assert resized.std(dim=(-1, -2)).max() < 1e-6
    assert subpixel.std(dim=(-1, -2)).max() > 1e-3


def test_upsampler_option_builds_trains_and_saves(tmp_path):
    import torch

    import srgan_lite as sl
    from srgan_lite.errors import ConfigError

    g = sl.srresnet(num_blocks=1, channels=8, upsampler="resize")
    assert g.config.icnr is False and g(torch.rand(1, 3, 6, 6)).shape == (1, 3, 24, 24)
    sl.save_generator(g, tmp_path / "g.safetensors")
    assert sl.load_generator(tmp_path / "g.safetensors").config.upsampler == "resize"
    with pytest.raises(ConfigError, match="model.upsampler='bilinear' is unknown"):
        sl.srresnet(upsampler="bilinear")
    with pytest.raises(ConfigError, match="RRDBNet always upsamples by resize-convolution"):
        sl.make_config("quick", "srresnet", ["model.arch=rrdbnet", "model.upsampler=resize"])
