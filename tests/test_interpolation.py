"""Network interpolation (ESRGAN, Sec. 3.4) and the spectral-energy proxy for perceptual quality."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from srgan_lite import srresnet
from srgan_lite.errors import ConfigError, WeightsError
from srgan_lite.evaluation.metrics import radial_power_spectrum, spectral_energy_ratio
from srgan_lite.models.pretrained import interpolate_weights


def _trained_like(seed: int, batches: int):
    """A tiny generator with random weights and BatchNorm statistics from ``batches`` forward passes."""
    torch.manual_seed(seed)
    model = srresnet(num_blocks=2, channels=8).train()
    with torch.no_grad():
        for _ in range(batches):
            model(torch.rand(2, 3, 6, 6) * (1 + seed))
    return model.eval()


@pytest.fixture
def pair():
    return _trained_like(0, 2), _trained_like(1, 4)


def test_endpoints_are_the_two_networks_exactly(pair):
    a, b = pair
    for alpha, expected in ((0.0, a), (1.0, b)):
        mixed = interpolate_weights(a, b, alpha).state_dict()
        for name, value in expected.state_dict().items():
            assert torch.equal(mixed[name], value), (alpha, name)
    x = torch.rand(1, 3, 5, 7)
    with torch.no_grad():
        assert torch.equal(interpolate_weights(a, b, 0)(x), a(x))


def test_midpoint_is_the_mean_of_parameters_and_batchnorm_buffers(pair):
    a, b = pair
    mixed = interpolate_weights(a, b, 0.5).state_dict()
    sa, sb = a.state_dict(), b.state_dict()
    names = set()
    for name, value in mixed.items():
        names.add(name.rsplit(".", 1)[-1])
        if value.is_floating_point():
            torch.testing.assert_close(value, (sa[name] + sb[name]) / 2, rtol=0, atol=1e-7)
        else:  # num_batches_tracked: 2 and 4 -> 3, still an integer tensor
            assert value.dtype == sa[name].dtype and value.item() == 3
    assert {"weight", "bias", "running_mean", "running_var", "num_batches_tracked"} <= names
    assert not torch.equal(sa["body_tail.1.running_mean"], sb["body_tail.1.running_mean"])


def test_interpolation_leaves_the_inputs_alone_and_returns_a_new_eval_model(pair):
    a, b = pair
    before = {k: v.clone() for k, v in a.state_dict().items()}
    a.train()
    mixed = interpolate_weights(a, b, 0.3)
    assert mixed is not a and mixed is not b and not mixed.training and a.training
    assert all(torch.equal(before[k], v) for k, v in a.state_dict().items())
    assert mixed.config == a.config


@pytest.mark.parametrize("other", [dict(num_blocks=3, channels=8), dict(num_blocks=2, channels=16),
                                   dict(num_blocks=2, channels=8, batch_norm=False)])
def test_mismatched_architectures_are_refused(pair, other):
    with pytest.raises(WeightsError, match="interpolate"):
        interpolate_weights(pair[0], srresnet(**other), 0.5)


def test_subpixel_and_resize_srresnets_are_refused_and_two_resize_ones_interpolate(pair):
    """Same blocks and channels, other upsampler: the parameter names agree but the upsampler's shapes do not, so
    chapter 11 walks from the resize-convolution ``srresnet_resize_x4`` to ``srgan_x4``, not from ``srresnet_x4``."""
    torch.manual_seed(0)
    resize_a, resize_b = (srresnet(num_blocks=2, channels=8, upsampler="resize").eval() for _ in range(2))
    assert resize_a.state_dict().keys() == pair[0].state_dict().keys()
    for a, b in ((pair[0], resize_a), (resize_a, pair[0])):
        with pytest.raises(WeightsError, match=r"cannot interpolate different architectures: .*upsampler=") as error:
            interpolate_weights(a, b, 0.5)
        assert "\n" not in str(error.value)
    mixed = interpolate_weights(resize_a, resize_b, 0.5)
    assert mixed.config == resize_a.config and mixed.config.upsampler == "resize"
    sa, sb = resize_a.state_dict(), resize_b.state_dict()
    for name, value in mixed.state_dict().items():
        if value.is_floating_point():
            torch.testing.assert_close(value, 0.5 * sa[name] + 0.5 * sb[name], rtol=0, atol=1e-7)


def test_rrdbnets_interpolate_and_mixing_archs_is_refused(pair):
    from srgan_lite.models import RRDBNet, rrdbnet

    torch.manual_seed(0)
    a, b = rrdbnet(num_blocks=1, channels=8, growth=4), rrdbnet(num_blocks=1, channels=8, growth=4)
    mixed = interpolate_weights(a, b, 0.25)
    assert isinstance(mixed, RRDBNet) and mixed.config == a.config and not mixed.training
    sa, sb = a.state_dict(), b.state_dict()
    for name, value in mixed.state_dict().items():
        torch.testing.assert_close(value, 0.75 * sa[name] + 0.25 * sb[name], rtol=0, atol=1e-7)
    with pytest.raises(WeightsError, match=r"cannot interpolate different architectures: .*arch='srresnet'.*"
                                           r"arch='rrdbnet'") as error:
        interpolate_weights(pair[0], a, 0.5)
    assert "\n" not in str(error.value)


def test_non_finite_alpha_is_refused(pair):
    with pytest.raises(ConfigError):
        interpolate_weights(*pair, float("nan"))


def _photo_like(make_image, seed=0):
    return torch.tensor(make_image(64, 64, seed), dtype=torch.float64).permute(2, 0, 1).unsqueeze(0) / 255


def test_spectral_energy_ratio_is_one_for_hr_below_for_blur_above_for_noise(make_image):
    hr = _photo_like(make_image)
    blurred = F.avg_pool2d(F.pad(hr, (1, 1, 1, 1), mode="replicate"), 3, stride=1)
    noisy = (hr + 0.08 * torch.randn(hr.shape, generator=torch.Generator().manual_seed(0), dtype=hr.dtype)).clamp(0, 1)
    assert spectral_energy_ratio(hr, hr).item() == pytest.approx(1.0)
    assert spectral_energy_ratio(blurred, hr).item() < 0.8
    assert spectral_energy_ratio(noisy, hr).item() > 1.2
    batch = spectral_energy_ratio(torch.cat([hr, blurred]), torch.cat([hr, hr]), shave=4)
    assert batch.shape == (2,) and batch[0].item() == pytest.approx(1.0)


def test_spectral_energy_ratio_options_are_checked(make_image):
    hr = _photo_like(make_image)
    with pytest.raises(ConfigError, match="cutoff"):
        spectral_energy_ratio(hr, hr, cutoff=0)
    flat = torch.full_like(hr, 0.5)
    with pytest.raises(ConfigError, match="no energy"):
        spectral_energy_ratio(hr, flat)


def test_radial_power_spectrum_shapes_and_blur_loses_high_frequencies(make_image):
    hr = _photo_like(make_image)
    blurred = F.avg_pool2d(F.pad(hr, (1, 1, 1, 1), mode="replicate"), 3, stride=1)
    freqs, power = radial_power_spectrum(torch.cat([hr, blurred]), bins=16)
    assert freqs.shape == (16,) and power.shape == (2, 16)
    assert np.all(np.diff(freqs) > 0) and 0 < freqs[0] < freqs[-1] < 0.5  # cycles per pixel
    assert power[1, -4:].sum() < 0.5 * power[0, -4:].sum()
