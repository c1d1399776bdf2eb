import math

import pytest
import torch

from srgan_lite import Discriminator, srresnet
from srgan_lite.errors import ConfigError
from srgan_lite.losses.artifact import artifact_loss, artifact_map, local_variance
from srgan_lite.losses.adversarial import (
    GAN_LOSSES,
    discriminator_loss,
    generator_adversarial_loss,
    relativistic_discriminator_loss,
    relativistic_generator_loss,
)
from srgan_lite.losses.content import CONTENT_LOSSES, VGG_RESCALE, VGGContentLoss, calibrate_rescale, pixel_mse
from srgan_lite.losses.content import content_loss as build_content_loss
from srgan_lite.losses.perceptual import PerceptualLoss
from srgan_lite.losses.phase import subpixel_phase_loss, subpixel_phase_pattern


@pytest.fixture(scope="module", name="content_loss")
def vgg22_random():
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


def test_a_rescale_calibrated_on_one_image_carries_to_another(content_loss):
    """c is fitted on one pair; what it claims (feature loss ~ pixel MSE) must hold on an unseen pair with the same
    kind of error, and c must not depend on the rescale the loss had before (the fit sets it aside)."""
    torch.manual_seed(3)
    hr, other = torch.rand(2, 2, 3, 32, 32) * 2 - 1
    noisy = lambda x: (x + 0.2 * torch.randn_like(x)).clamp(-1, 1)  # noqa: E731
    c = calibrate_rescale(content_loss, noisy(hr), hr)
    assert content_loss.rescale == VGG_RESCALE  # calibration leaves the loss as it was
    content_loss.rescale = 0.5
    try:
        assert calibrate_rescale(content_loss, noisy(hr), hr) == pytest.approx(c, rel=0.05)
        content_loss.rescale = c
        sr = noisy(other)
        assert content_loss(sr, other).item() == pytest.approx(pixel_mse(sr, other).item(), rel=0.25)
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


def test_the_gan_losses_are_registered_by_name():
    fake, real = torch.tensor([0.3, -1.2, 2.0]), torch.tensor([1.5, 0.1, -0.4])
    vanilla, ra = GAN_LOSSES["vanilla"], GAN_LOSSES["relativistic"]
    assert not vanilla.uses_real_logits and ra.uses_real_logits
    assert torch.equal(vanilla.generator(None, fake), generator_adversarial_loss(fake))
    assert vanilla.discriminator is discriminator_loss and ra.discriminator is relativistic_discriminator_loss
    assert torch.equal(ra.generator(real, fake), relativistic_generator_loss(real, fake))
    torch.manual_seed(0)
    sr, hr = torch.rand(2, 3, 8, 8), torch.rand(2, 3, 8, 8)
    total, parts = PerceptualLoss("mse", gan_type="relativistic")(sr, hr, fake[:2], real[:2])
    assert parts["adversarial"].item() == pytest.approx(relativistic_generator_loss(real[:2], fake[:2]).item())
    with pytest.raises(ValueError, match="real_logits"):
        PerceptualLoss("mse", gan_type="relativistic")(sr, hr, fake[:2])
    with pytest.raises(ConfigError, match="gan_type 'wgan' is unknown"):
        PerceptualLoss("mse", gan_type="wgan")


def _smooth(size: int = 48, seed: int = 0) -> torch.Tensor:
    """Low-pass noise in [-1, 1], (1, 3, size, size): texture with no preferred sub-pixel phase."""
    x = torch.rand(1, 3, size // 8, size // 8, generator=torch.Generator().manual_seed(seed))
    return torch.nn.functional.interpolate(x, size=(size, size), mode="bicubic", align_corners=False).clamp(0, 1) * 2 - 1


def _grid(size: int, period: int, amplitude: float = 0.1) -> torch.Tensor:
    """A mean-free lattice: one pixel of every ``period`` x ``period`` cell raised."""
    cell = torch.zeros(period, period)
    cell[0, 0] = 1.0
    return amplitude * (cell - cell.mean()).repeat(size // period, size // period)


def test_phase_loss_sees_a_grid_of_the_models_period_and_nothing_else():
    hr = _smooth()
    assert subpixel_phase_loss(hr, hr, 4).item() == 0.0
    assert subpixel_phase_loss(hr + 0.1, hr, 4).item() == pytest.approx(0.0, abs=1e-12)  # brightness is not a grid
    assert subpixel_phase_loss(hr + _grid(48, 4), hr, 4).item() > 1e-4
    # the period is the generator's scale: a x3 grid is invisible to the x4 pattern and plain to the x3 one
    assert subpixel_phase_loss(hr + _grid(48, 3), hr, 3).item() > 1e-4
    assert subpixel_phase_loss(hr + _grid(48, 3), hr, 4).item() < 1e-3 * subpixel_phase_loss(hr + _grid(48, 3), hr, 3).item()
    assert subpixel_phase_pattern(hr[..., :45, :46], 3).shape == (1, 3, 3, 3)  # crops to a multiple of the scale


def test_perceptual_loss_passes_the_models_scale_to_the_phase_loss():
    hr = _smooth()
    sr = hr + _grid(48, 2)
    total, parts = PerceptualLoss("mse", phase_weight=10.0, scale=2)(sr, hr)
    assert parts["phase"].item() == pytest.approx(subpixel_phase_loss(sr, hr, 2).item())
    assert total.item() == pytest.approx(parts["content"].item() + 10 * parts["phase"].item())
    with pytest.raises(ConfigError, match="needs the generator's scale"):
        PerceptualLoss("mse", phase_weight=1.0)


def test_the_content_losses_are_the_papers_three_and_lite0_norm():
    assert CONTENT_LOSSES == ("mse", "vgg22", "vgg54", "lite0_norm")
    with pytest.raises(ConfigError, match="content loss 'lite0' is unknown"):
        build_content_loss("lite0")


def test_artifact_map_marks_a_locally_noisy_residual_not_a_smooth_error_and_only_where_g_is_worse():
    hr = _smooth()
    reference = hr.clone()  # an EMA that reproduces HR: every error of SR is SR's own
    offset = artifact_map(hr + 0.1, hr, reference)  # the same error everywhere: no local variance
    mesh = artifact_map(hr + _grid(48, 4), hr, reference)
    assert offset.abs().max().item() < 1e-8 and mesh.min().item() >= 0 and mesh.mean().item() > 1e-6
    assert artifact_loss(hr + 0.1, hr, reference).item() < 1e-8 < artifact_loss(hr + _grid(48, 4), hr, reference).item()
    worse_reference = hr + 2 * _grid(48, 4)  # where the average does worse, the map lets G be
    assert artifact_map(hr + _grid(48, 4), hr, worse_reference).abs().max().item() == 0.0
    # the local variance is the unbiased variance of each 7 x 7 window: check one interior pixel by hand
    x = torch.randn(1, 1, 12, 12)
    assert local_variance(x)[0, 0, 5, 6].item() == pytest.approx(x[0, 0, 2:9, 3:10].var().item(), rel=1e-5)


def test_perceptual_loss_adds_the_artifact_term_as_a_weight_map_with_no_gradient_of_its_own():
    hr = _smooth()
    sr = (hr + _grid(48, 4)).requires_grad_(True)
    total, parts = PerceptualLoss("mse", artifact_weight=2.0)(sr, hr, reference=hr)
    assert total.item() == pytest.approx(parts["content"].item() + 2 * parts["artifact"].item())
    total.backward()
    weight = artifact_map(sr.detach(), hr, hr)  # d/dsr of L1(M*sr, M*hr) with M constant: M * sign / (2 N)
    error = sr.detach() - hr  # the MSE's gradient is 2 * error / N
    expected = 2 * error / sr.numel() + 2 * weight * torch.sign(error) / (2 * sr.numel())
    assert torch.allclose(sr.grad, expected, atol=1e-9)
    with pytest.raises(ValueError, match="needs reference"):
        PerceptualLoss("mse", artifact_weight=1.0)(sr, hr)
