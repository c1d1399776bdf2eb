"""What a step computes (srgan_lite.training.objective): the adversarial games by name, the hand-over from G's
step to D's, the jitter windows, gradient clipping and D's own learning rate."""
import csv
import types

import pytest
import torch
from test_train import images, tiny_config  # noqa: F401  (the module-scoped fixture and the tiny run's config)

from srgan_lite.losses.adversarial import (
    GAN_LOSSES,
    discriminator_loss,
    generator_adversarial_loss,
    relativistic_discriminator_loss,
    relativistic_generator_loss,
)
from srgan_lite.training.config import make_config
from srgan_lite.training.distributed import Dist
from srgan_lite.training.loop import Trainer
from srgan_lite.training.objective import jitter_windows


def _logits_seen(module):
    """Every output of ``module``'s forward, in call order."""
    seen = []
    module.register_forward_hook(lambda m, args, out: seen.append(out.detach().float()))
    return seen


@pytest.mark.parametrize("gan_type", ["vanilla", "relativistic"])
def test_the_gan_type_chooses_g_and_d_losses_by_name(tmp_path, images, gan_type):  # noqa: F811
    trainer = Trainer(tiny_config("srgan", 1, f"loss.gan_type={gan_type}"), tmp_path / gan_type, train_images=images)
    assert trainer.objective.loss.gan is GAN_LOSSES[gan_type]
    seen = _logits_seen(trainer.discriminator)
    g_step = trainer.objective.generator_step(*next(trainer.batches()))
    if gan_type == "vanilla":  # G's step scores the fakes only: Eq. (6)
        (fake,) = seen
        expected = generator_adversarial_loss(fake)
    else:  # RaGAN's G term compares with D's logits of the real crops too
        fake, real = seen
        expected = relativistic_generator_loss(real, fake)
    assert g_step.stats["adversarial"].item() == pytest.approx(expected.item(), rel=1e-6)
    seen.clear()
    d_stats = trainer.objective.discriminator_step(g_step)
    real, fake = seen  # D's step: real HR crops, then the detached fakes G's step handed over
    d_loss = discriminator_loss if gan_type == "vanilla" else relativistic_discriminator_loss
    assert d_stats["loss_d"].item() == pytest.approx(d_loss(real, fake).item(), rel=1e-6)


def test_relativistic_srgan_trains_both_networks(tmp_path, images):  # noqa: F811
    trainer = Trainer(tiny_config("srgan", 2, "loss.gan_type=relativistic"), tmp_path / "ra", train_images=images)
    g0 = {k: v.clone() for k, v in trainer.generator.named_parameters()}
    d0 = {k: v.clone() for k, v in trainer.discriminator.named_parameters()}
    result = trainer.fit()
    assert all(not torch.equal(v, g0[k]) for k, v in trainer.generator.named_parameters())
    changed = {k for k, v in trainer.discriminator.named_parameters() if not torch.equal(v, d0[k])}
    last_bias = [k for k in d0 if k.endswith("bias")][-1]
    assert changed >= set(d0) - {last_bias}  # every weight of D trains
    # RaGAN compares logits, so their common offset (D's last bias) has no gradient: exactly in the loss, though on
    # some CPUs rounding leaves a ~1e-9 gradient that Adam, which normalises it, turns into a full step
    real, fake, offset = torch.randn(8), torch.randn(8), 3.0
    for loss in (relativistic_discriminator_loss, relativistic_generator_loss):
        assert loss(real + offset, fake + offset).item() == pytest.approx(loss(real, fake).item(), rel=1e-6)
    for row in result.history:
        assert row["loss_g"] == pytest.approx(row["content"] + 1e-3 * row["adversarial"], rel=1e-5)


def test_jitter_windows_differ_per_sample_cover_every_phase_and_match_between_sr_and_hr():
    config = make_config("quick", "srgan", ["data.shift_jitter=16", "data.patch_size=32"])
    y, x = torch.meshgrid(torch.arange(48.0), torch.arange(48.0), indexing="ij")
    coded = torch.stack([y, x, torch.zeros_like(y)]).expand(16, 3, 48, 48).contiguous()
    sr, hr = jitter_windows(coded, coded.clone(), config, Dist())
    assert sr.shape == (16, 3, 32, 32) and torch.equal(sr, hr)
    tops, lefts = sr[:, 0, 0, 0].long(), sr[:, 1, 0, 0].long()
    assert {(int(t) % 4, int(l) % 4) for t, l in zip(tops, lefts)} == {(a, b) for a in range(4) for b in range(4)}
    assert int(tops.max()) <= 16 and int(lefts.max()) <= 16
    # two processes with 8 samples each cut the halves of what one process with 16 cuts
    torch.manual_seed(0)
    whole, _ = jitter_windows(coded, coded, config, Dist())
    halves = []
    for rank in (0, 1):
        torch.manual_seed(0)
        halves.append(jitter_windows(coded[8 * rank: 8 * rank + 8], coded[:8], config, Dist(rank, 2))[0])
    assert torch.equal(torch.cat(halves), whole)
    unchanged = jitter_windows(coded, hr, make_config("quick", "srgan"), Dist())
    assert unchanged[0] is coded and unchanged[1] is hr  # shift_jitter=0: the paper's fixed crops


def _gradient_norms(optimizer):
    """The norm of the gradients ``optimizer`` is about to apply, at every step."""
    norms = []

    def spy(opt, args, kwargs):
        grads = [p.grad for group in opt.param_groups for p in group["params"] if p.grad is not None]
        norms.append(torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads])).item())

    optimizer.register_step_pre_hook(spy)
    return norms


@pytest.mark.parametrize("clip", [0.0, 1e-3])
def test_grad_clip_bounds_the_norm_of_the_gradients_adam_applies(tmp_path, images, clip):  # noqa: F811
    trainer = Trainer(tiny_config("srgan", 3, f"optim.grad_clip={clip}"), tmp_path / "clip", train_images=images)
    g_norms, d_norms = _gradient_norms(trainer.opt_g), _gradient_norms(trainer.opt_d)
    trainer.fit()
    assert len(g_norms) == len(d_norms) == 3
    if clip:
        assert max(g_norms + d_norms) <= clip * (1 + 1e-5)
    else:  # the same steps unclipped: the gradients are far larger, so the bound above is the clipping's doing
        assert min(g_norms + d_norms) > 10 * 1e-3


def test_lr_d_sets_ds_learning_rate_and_leaves_gs(tmp_path, images):  # noqa: F811
    config = tiny_config("srgan", 4, "optim.lr_d=4e-4", "optim.schedule=step", "optim.milestones=[2]", "optim.gamma=0.5")
    trainer = Trainer(config, tmp_path / "lr_d", train_images=images)
    assert [g["lr"] for g in trainer.opt_d.param_groups] == [4e-4] and [g["lr"] for g in trainer.opt_g.param_groups] == [1e-4]
    result = trainer.fit()
    assert trainer.opt_d.param_groups[0]["lr"] == pytest.approx(2e-4) and trainer.opt_g.param_groups[0]["lr"] == pytest.approx(5e-5)
    assert [row["lr"] for row in result.history] == pytest.approx([1e-4, 5e-5, 5e-5, 5e-5])  # the history logs G's


def test_d_step_trains_on_what_g_step_hands_over(tmp_path, images):  # noqa: F811
    """No state is carried between the steps: D's step scores exactly the crops in the hand-over."""
    trainer = Trainer(tiny_config("srgan", 1), tmp_path / "handover", train_images=images)
    g_step = trainer.objective.generator_step(*next(trainer.batches()))
    assert not {"_sr", "_hr"} & set(vars(trainer.objective)) and not {"_sr", "_hr"} & set(vars(trainer))
    inputs = []
    trainer.discriminator.register_forward_pre_hook(lambda module, args: inputs.append(args[0]))
    other = types.SimpleNamespace(sr=torch.zeros_like(g_step.sr), hr=g_step.hr.flip(-1))
    trainer.objective.discriminator_step(other)
    assert inputs[0] is other.hr and inputs[1] is other.sr


def test_the_artifact_term_compares_g_with_its_ema_on_the_same_jitter_windows(tmp_path, images):  # noqa: F811
    """LDL's reference is the EMA of G, run in eval mode on the same LR batch and cut at SR's windows."""
    config = tiny_config("srgan", 2, "run.ema_decay=0.9", "loss.artifact_weight=1", "data.shift_jitter=8")
    trainer = Trainer(config, tmp_path / "ldl", train_images=images)
    assert trainer.objective.reference is trainer.ema.module
    seen = []
    trainer.objective.loss.register_forward_pre_hook(lambda module, args: seen.append(args))
    lr_image, hr_image = next(trainer.batches())
    torch.manual_seed(3)
    g_step = trainer.objective.generator_step(lr_image, hr_image)
    sr, hr, _fake, _real, reference = seen[0]
    assert trainer.ema.module.training  # eval only while it draws the reference
    with torch.no_grad():
        trainer.ema.module.eval()
        whole = trainer.ema.module(lr_image)
        trainer.ema.module.train()
    torch.manual_seed(3)  # the same draw of windows as inside the step
    expected, expected_hr = jitter_windows(whole, hr_image, config, Dist())
    assert torch.equal(hr, expected_hr) and torch.allclose(reference, expected, atol=1e-6)
    assert sr.shape == reference.shape and g_step.stats["artifact"].item() >= 0
    assert trainer.fit().history[-1]["artifact"] >= 0  # and a whole run logs it, in history.csv too
    with open(tmp_path / "ldl" / "history.csv") as f:
        assert all(float(row["artifact"]) >= 0 for row in csv.DictReader(f))
