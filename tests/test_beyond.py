"""ESRGAN / Real-ESRGAN pieces: RRDB, RaGAN losses, BN modes, pre-activation VGG features, degradations."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
from torch import nn

from srgan_lite import srresnet
from srgan_lite.data import degrade_realistic, gaussian_kernel
from srgan_lite.errors import ConfigError
from srgan_lite.losses import relativistic_discriminator_loss, relativistic_generator_loss, vgg_conv_and_relu
from srgan_lite.losses.adversarial import discriminator_loss
from srgan_lite.losses.vgg import VGGFeatures
from srgan_lite.models import ESRGAN_CONFIG, RRDB, ResidualDenseBlock, RRDBNet, batchnorm_modes


def _sigmoid(v: float) -> float:
    return 1.0 / (1.0 + math.exp(-v))


def test_rdb_and_rrdb_keep_shape_and_are_residual():
    torch.manual_seed(0)
    x = torch.randn(2, 16, 7, 9)
    rdb = ResidualDenseBlock(16, 8)
    assert rdb(x).shape == x.shape
    # conv k sees channels + k * growth inputs; conv5 maps back to `channels`
    assert [c.in_channels for c in rdb.convs] == [16, 24, 32, 40, 48]
    assert [c.out_channels for c in rdb.convs] == [8, 8, 8, 8, 16]
    rrdb = RRDB(16, 8)
    assert rrdb(x).shape == x.shape
    # zero inner branches make each dense block the identity, so the RRDB gives x + 0.2 x
    for block in rrdb.blocks:
        nn.init.zeros_(block.convs[-1].weight)
        nn.init.zeros_(block.convs[-1].bias)
    torch.testing.assert_close(rrdb(x), 1.2 * x)


def test_residual_scaling_is_exactly_beta():
    torch.manual_seed(0)
    x = torch.randn(1, 8, 5, 5)
    rdb = ResidualDenseBlock(8, 4, residual_scale=1.0)
    branch = rdb(x) - x
    rdb.residual_scale = 0.2
    torch.testing.assert_close(rdb(x) - x, 0.2 * branch)
    rrdb = RRDB(8, 4, residual_scale=0.2)
    torch.testing.assert_close(rrdb(x) - x, 0.2 * rrdb.blocks(x))


def test_rrdbnet_shapes_and_esrgan_size():
    torch.manual_seed(0)
    small = RRDBNet(scale=4, num_blocks=1, channels=8, growth=4)
    assert small(torch.rand(1, 3, 6, 5)).shape == (1, 3, 24, 20)
    assert RRDBNet(scale=2, num_blocks=1, channels=8, growth=4)(torch.rand(1, 3, 6, 5)).shape == (1, 3, 12, 10)
    with torch.device("meta"):  # ESRGAN's 23 blocks, 64 channels, growth 32: count without allocating
        esrgan = RRDBNet()
    conv = lambda c_in, c_out: 9 * c_in * c_out + c_out  # noqa: E731  3x3 weights + biases
    rdb = sum(conv(64 + 32 * k, 32 if k < 4 else 64) for k in range(5))  # ESRGAN Fig. 4: dense connections
    # head, 23 RRDBs of 3 RDBs, trunk conv, two nearest+conv stages, HR conv, last conv (ESRGAN Sec. 3.1)
    expected = conv(3, 64) + 23 * 3 * rdb + conv(64, 64) + 2 * conv(64, 64) + conv(64, 64) + conv(64, 3)
    assert sum(p.numel() for p in esrgan.parameters()) == expected == 16_697_987
    assert esrgan.config == ESRGAN_CONFIG and not any(isinstance(m, nn.BatchNorm2d) for m in esrgan.modules())
    with pytest.raises(ConfigError, match="model.scale=3 is not supported by model.arch=rrdbnet"):
        RRDBNet(scale=3)
    with pytest.raises(TypeError, match="not both"):
        RRDBNet(ESRGAN_CONFIG, num_blocks=1)


def test_relativistic_losses_match_a_hand_computation():
    real = [2.0, 0.5, -1.0]
    fake = [-0.5, 1.5]
    mean_r, mean_f = sum(real) / 3, sum(fake) / 2
    d_real = [_sigmoid(r - mean_f) for r in real]
    d_fake = [_sigmoid(f - mean_r) for f in fake]
    want_d = -sum(math.log(p) for p in d_real) / 3 - sum(math.log(1 - p) for p in d_fake) / 2
    want_g = -sum(math.log(1 - p) for p in d_real) / 3 - sum(math.log(p) for p in d_fake) / 2
    r, f = torch.tensor(real, dtype=torch.float64), torch.tensor(fake, dtype=torch.float64)
    assert relativistic_discriminator_loss(r, f).item() == pytest.approx(want_d, rel=1e-12)
    assert relativistic_generator_loss(r, f).item() == pytest.approx(want_g, rel=1e-12)


def test_relativistic_loss_ignores_a_common_shift_unlike_the_standard_one():
    r, f = torch.tensor([3.0, 1.0]), torch.tensor([-1.0, 0.0])
    shifted = relativistic_discriminator_loss(r + 7.0, f + 7.0)
    torch.testing.assert_close(shifted, relativistic_discriminator_loss(r, f))
    assert discriminator_loss(r + 7.0, f + 7.0) > 2 * discriminator_loss(r, f)
    # G's relativistic loss has a gradient with respect to the real logits; Eq. (6) has none
    r.requires_grad_(True)
    relativistic_generator_loss(r, f).backward()
    assert r.grad.abs().sum() > 0


def test_batchnorm_modes_differ_and_leave_the_model_unchanged():
    torch.manual_seed(0)
    model = srresnet(scale=2, num_blocks=1, channels=8)
    model.train()
    for _ in range(3):  # give BN running statistics that are not those of the probe
        model(torch.rand(4, 3, 8, 8) * 0.2)
    model.eval()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    running, batch = batchnorm_modes(model, torch.rand(1, 3, 8, 8))
    assert running.shape == batch.shape == (1, 3, 16, 16)
    assert (running - batch).abs().max() > 1e-3
    assert not model.training
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_vgg_conv_and_relu_are_the_pre_and_post_activation_maps():
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        vgg = VGGFeatures(("relu2_2",), weights=None)
    x = torch.rand(1, 3, 32, 32) * 2 - 1
    conv, relu = vgg_conv_and_relu(vgg, x, "relu2_2")
    assert conv.shape == relu.shape == (1, 128, 16, 16)
    torch.testing.assert_close(relu, conv.clamp(min=0))
    torch.testing.assert_close(relu, vgg(x)["relu2_2"])
    assert (conv < 0).any()
    with pytest.raises(ConfigError):
        vgg_conv_and_relu(vgg, x, "relu5_4")


def test_gaussian_kernel():
    k = gaussian_kernel(1.0)
    assert k.shape == (7, 7)
    assert k.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(k, k.T)
    assert k[3, 3] == k.max()


def test_degrade_realistic_deterministic_per_seed_and_changes_the_image(make_image):
    from srgan_lite.data.imresize import bicubic_degrade

    hr = make_image(64, 52)
    a = degrade_realistic(hr, 4, seed=1)
    assert a.shape == (16, 13, 3) and a.dtype == np.uint8 and a.flags.writeable
    assert np.array_equal(a, degrade_realistic(hr, 4, seed=1))
    assert not np.array_equal(a, degrade_realistic(hr, 4, seed=2))
    clean = bicubic_degrade(hr, 4)
    assert np.abs(a.astype(int) - clean).mean() > 1.0
    # with every stage switched off it is exactly the (unrounded, then rounded) bicubic degradation
    off = degrade_realistic(hr, 4, blur_sigma=0, noise_sigma=0, jpeg_quality=None)
    assert np.abs(off.astype(int) - clean).max() <= 1
    # blur alone lowers the high frequencies: neighbour differences shrink
    blurred = degrade_realistic(hr, 1, blur_sigma=2.0, noise_sigma=0, jpeg_quality=None)
    assert np.abs(np.diff(blurred.astype(int), axis=1)).mean() < np.abs(np.diff(hr.astype(int), axis=1)).mean()
    grey = degrade_realistic(hr[..., 0], 2, seed=0)
    assert grey.shape == (32, 26)


def test_degrade_realistic_rejects_bad_arguments(make_image):
    hr = make_image(32, 32)
    with pytest.raises(ConfigError):
        degrade_realistic(hr.astype(np.float32), 4)
    with pytest.raises(ConfigError):
        degrade_realistic(hr, 4, jpeg_quality=0)
    with pytest.raises(ConfigError):
        degrade_realistic(hr, 4, noise_sigma=-1)
