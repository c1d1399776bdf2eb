import math

import pytest
import torch

from srgan_lite import Discriminator, srresnet
from srgan_lite.errors import ConfigError
from srgan_lite.losses.adversarial import discriminator_loss, generator_adversarial_loss
from srgan_lite.losses.content import VGG_RESCALE, VGGContentLoss, calibrate_rescale, pixel_mse
from srgan_lite.losses.perceptual import PerceptualLoss


@pytest.fixture(scope="module")
def content_loss():
    torch.manual_seed(0)
    with pytest.warns(UserWarning):
        return VGGContentLoss("vgg22", weights=None)


def test_content_loss_zero_for_identical_and_grows_with_distortion(content_loss):
    torch.manual_seed(1)
    hr = torch.rand(2, 3, 32, 32) * 2 - 1
    assert content_loss(hr, hr).item() == 0.0
    losses = [content_loss((hr + s * torch.randn_like(hr)).clamp(-1, 1), hr).item() for s in (0.05, 0.1, 0.3)]
    assert 0 < losses[0] < losses[1] < losses[2]


def test_rescale_multiplies_the_loss_by_its_square_and_is_on_by_default(content_loss):
    torch.manual_seed(2)
    sr, hr = torch.rand(1, 3, 16, 16) * 2 - 1, torch.rand(1, 3, 16, 16) * 2 - 1
    assert content_loss.rescale == VGG_RESCALE  # VGGContentLoss's default is the paper's 1/12.75
    values = {}
    for c in (1.0, 0.5, VGG_RESCALE):
        content_loss.rescale = c
        values[c] = content_loss(sr, hr).item()
    content_loss.rescale = VGG_RESCALE
    assert values[0.5] == pytest.approx(0.25 * values[1.0], rel=1e-5)
    assert values[VGG_RESCALE] == pytest.approx(values[1.0] / 12.75**2, rel=1e-5)  # "approximately 0.006" x


def test_calibrated_rescale_puts_the_feature_loss_on_the_scale_of_the_mse(content_loss):
    torch.manual_seed(3)
    hr = torch.rand(2, 3, 32, 32) * 2 - 1
    sr = (hr + 0.2 * torch.randn_like(hr)).clamp(-1, 1)
    c = calibrate_rescale(content_loss, sr, hr)
    assert content_loss.rescale == VGG_RESCALE  # calibration leaves the loss as it was
    content_loss.rescale = c
    try:
        assert content_loss(sr, hr).item() == pytest.approx(pixel_mse(sr, hr).item(), rel=1e-4)
    finally:
        content_loss.rescale = VGG_RESCALE


def test_gradients_reach_generator_and_discriminator_but_not_vgg(content_loss):
    torch.manual_seed(0)
    g, d = srresnet(num_blocks=1, channels=16), Discriminator(image_size=32)
    sr = g(torch.rand(2, 3, 8, 8))
    hr = torch.rand(2, 3, 32, 32) * 2 - 1
    total = content_loss(sr, hr) + 1e-3 * generator_adversarial_loss(d(sr))
    total.backward()
    assert all(p.grad is not None for p in g.parameters())
    assert all(p.grad is not None for p in d.parameters())
    assert all(p.grad is None for p in content_loss.parameters())


def test_adversarial_losses_match_hand_computation():
    logits_fake = torch.tensor([0.3, -1.2, 2.0])
    logits_real = torch.tensor([1.5, 0.1, -0.4])
    sigmoid = lambda t: 1 / (1 + math.exp(-t))  # noqa: E731
    g_expected = sum(-math.log(sigmoid(t)) for t in logits_fake.tolist()) / 3
    d_expected = (sum(-math.log(sigmoid(t)) for t in logits_real.tolist())
                  + sum(-math.log(1 - sigmoid(t)) for t in logits_fake.tolist())) / 3
    sat_expected = sum(math.log(1 - sigmoid(t)) for t in logits_fake.tolist()) / 3
    assert generator_adversarial_loss(logits_fake).item() == pytest.approx(g_expected, rel=1e-6)
    assert discriminator_loss(logits_real, logits_fake).item() == pytest.approx(d_expected, rel=1e-6)
    assert generator_adversarial_loss(logits_fake, saturating=True).item() == pytest.approx(sat_expected, rel=1e-6)


def test_perceptual_loss_is_eq3():
    torch.manual_seed(0)
    sr, hr, logits = torch.rand(2, 3, 8, 8), torch.rand(2, 3, 8, 8), torch.randn(2)
    loss = PerceptualLoss("mse")
    total, parts = loss(sr, hr, logits)
    assert total.item() == pytest.approx(pixel_mse(sr, hr).item() + 1e-3 * generator_adversarial_loss(logits).item(), rel=1e-6)
    assert set(parts) == {"content", "adversarial"}
    with pytest.raises(ConfigError, match="content loss"):
        PerceptualLoss("vgg99")
