"""What the training options do in a real (tiny) run: EMA, frozen BatchNorm, schedules, held-out validation,
grey validation images, and the paper profile's list of deviations."""
import math

import numpy as np
import pytest
import torch
from PIL import Image
from test_train import TINY, images, losses_by_step, tiny_config  # noqa: F401  (the module-scoped fixture too)

from srgan_lite.errors import CheckpointError, ConfigError
from srgan_lite.evaluation.protocol import evaluate
from srgan_lite.models.checkpoint import load_checkpoint, load_generator
from srgan_lite.training.config import make_config
from srgan_lite.training.distributed import Dist
from srgan_lite.training.loop import Trainer, train
from srgan_lite.training.setup import validation_images


def _state(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def test_ema_is_the_hand_computed_average_of_gs_weights_and_statistics(tmp_path, images):  # noqa: F811
    decay = 0.6
    trainer = Trainer(tiny_config("srresnet", 3, f"run.ema_decay={decay}"), tmp_path / "ema", train_images=images)
    recorded = []
    for lr_image, hr_image in trainer.batches():
        trainer.step += 1
        trainer.train_step(lr_image, hr_image)
        recorded.append(_state(trainer.generator))
    assert len(recorded) == 3
    expected = {k: v.double() for k, v in recorded[0].items()}  # the average starts at G after the first step
    for state in recorded[1:]:
        expected = {k: decay * expected[k] + (1 - decay) * state[k].double() for k in expected}
    averaged = trainer.ema.module.state_dict()
    floats = [k for k, v in recorded[0].items() if v.is_floating_point()]
    assert any("running_var" in k for k in floats) and any("running_mean" in k for k in floats)  # BatchNorm too
    for k in floats:
        assert torch.allclose(averaged[k].double(), expected[k], rtol=1e-5, atol=1e-6), k
        assert not torch.equal(averaged[k], recorded[-1][k]) or torch.equal(recorded[0][k], recorded[-1][k]), k
    assert trainer.eval_generator is trainer.ema.module


def test_ema_is_saved_resumed_validated_and_exported(tmp_path, images):  # noqa: F811
    val = [("v", images[0][1][:48, :48])]
    extra = ("run.ema_decay=0.5", "run.val_every=4")
    full = train(tiny_config("srgan", 8, *extra), tmp_path / "full", train_images=images, val_images=val)
    config = tiny_config("srgan", 8, "run.ckpt_every=4", *extra)
    train(config, tmp_path / "split", train_images=images, val_images=val)
    (tmp_path / "split" / "checkpoints" / "step_00000008.pt").unlink()
    trainer = Trainer(config, tmp_path / "split", resume=True, train_images=images, val_images=val)
    assert trainer.ema.n_averaged.item() == 4  # restored from the step-4 checkpoint
    resumed = trainer.fit()
    for key in ("loss_g", "loss_d"):
        assert losses_by_step(resumed.history, key) == losses_by_step(full.history, key), key
    assert [r["val_psnr"] for r in resumed.history if "val_psnr" in r] == [r["val_psnr"] for r in full.history if "val_psnr" in r]
    state = load_checkpoint(tmp_path / "split" / "checkpoints" / "step_00000008.pt")
    reference = load_checkpoint(tmp_path / "full" / "checkpoints" / "step_00000008.pt")
    assert "ema" in state and all(torch.equal(v, reference["ema"][k]) for k, v in state["ema"].items())
    exported = load_generator(resumed.generator_path).state_dict()  # generator.safetensors holds the average
    assert all(torch.equal(v, trainer.ema.module.state_dict()[k]) for k, v in exported.items())
    assert not all(torch.equal(v, trainer.generator.state_dict()[k]) for k, v in exported.items())
    ema_psnr = evaluate(trainer.ema.module, val, scale=4, device="cpu").psnr_y
    assert resumed.final["val_psnr"] == pytest.approx(ema_psnr, abs=1e-9)  # validation scores the average
    assert set(resumed.history[-1]) <= {"step", "lr", "loss_g", "content", "adversarial", "adversarial_weight", "loss_d", "d_real",
                                        "d_fake", "val_psnr", "val_ssim", "images_per_s", "elapsed_s"}


def test_turning_ema_on_at_resume_is_refused_by_name(tmp_path, images):  # noqa: F811
    train(tiny_config("srresnet", 2), tmp_path / "r", train_images=images)
    with pytest.raises(CheckpointError, match="holds no 'ema' state") as error:
        Trainer(tiny_config("srresnet", 4, "run.ema_decay=0.9"), tmp_path / "r", resume=True, train_images=images)
    assert "\n" not in str(error.value)


def test_freeze_generator_bn_keeps_running_statistics_and_trains_the_affine_weights(tmp_path, images):  # noqa: F811
    for frozen in (True, False):
        trainer = Trainer(tiny_config("srresnet", 3, f"optim.freeze_generator_bn={str(frozen).lower()}"),
                          tmp_path / str(frozen), train_images=images)
        before = _state(trainer.generator)
        trainer.fit()
        after = trainer.generator.state_dict()
        stats = [k for k in before if k.endswith(("running_mean", "running_var"))]
        affine = [k for k in before if ".weight" in k and k.replace("weight", "running_mean") in before]
        assert stats and affine
        assert all(not torch.equal(after[k], before[k]) for k in affine)  # BatchNorm's affine weights learn
        assert all(torch.equal(after[k], before[k]) == frozen for k in stats), frozen  # statistics: only unfrozen move


@pytest.mark.parametrize("schedule, overrides, factors", [
    ("constant", [], [1, 1, 1, 1, 1, 1]),
    ("step", ["optim.milestones=[2,5]", "optim.gamma=0.5"], [1, 0.5, 0.5, 0.5, 0.25, 0.25]),
    ("cosine", ["optim.min_lr_ratio=0.2"], [0.2 + 0.8 * 0.5 * (1 + math.cos(math.pi * s / 6)) for s in range(1, 7)]),
])
def test_the_schedules_set_the_learning_rate_of_each_step(tmp_path, images, schedule, overrides, factors):  # noqa: F811
    result = train(tiny_config("srresnet", 6, f"optim.schedule={schedule}", "optim.lr=1e-3", *overrides),
                   tmp_path / schedule, train_images=images)
    assert [row["lr"] for row in result.history] == pytest.approx([1e-3 * f for f in factors], rel=1e-12)


def test_val_split_holds_training_images_out_for_validation(tmp_path, images):  # noqa: F811
    five = images + [(f"extra{i}", images[i][1][::-1].copy()) for i in range(2)]
    config = tiny_config("srresnet", 2, "data.val_split=2", "run.val_every=2")
    trainer = Trainer(config, tmp_path / "split", train_images=five)
    held = [name for name, _ in trainer.val_images]
    training = [item[0] for item in trainer.dataset.base.items]
    assert len(held) == 2 and sorted(held + training) == sorted(name for name, _ in five)
    again = Trainer(config, tmp_path / "again", train_images=five)  # chosen from the seed alone
    assert [name for name, _ in again.val_images] == held
    others = {tuple(n for n, _ in Trainer(tiny_config("srresnet", 2, "data.val_split=2", f"run.seed={s}"),
                                          tmp_path / f"s{s}", train_images=five).val_images) for s in range(1, 6)}
    assert others - {tuple(held)}  # another seed, another split
    assert "val_psnr" in trainer.fit().final
    with pytest.raises(ConfigError, match="data.val_split=5 would hold out all 5 training images"):
        Trainer(tiny_config("srresnet", 2, "data.val_split=5"), tmp_path / "all", train_images=five)


def test_validation_scores_grey_images_on_their_grey_values_as_evaluate_does(tmp_path, images):  # noqa: F811
    folder = tmp_path / "val"
    folder.mkdir()
    Image.fromarray(images[0][1][:64, :64, 1]).save(folder / "grey.png")  # one channel, like Set14's bridge
    Image.fromarray(images[1][1][:64, :64]).save(folder / "colour.png")
    config = tiny_config("srresnet", 1, f"data.val={folder}", "data.val_crop=0", "data.max_val_images=0")
    loaded = dict(validation_images(config, Dist()))
    assert loaded["grey"].ndim == 2 and loaded["colour"].ndim == 3
    trainer = Trainer(config, tmp_path / "run", train_images=images)
    assert trainer.validate()["val_psnr"] == pytest.approx(evaluate(trainer.generator, folder, scale=4, device="cpu").psnr_y,
                                                          abs=1e-9)


def test_a_paper_run_says_where_it_is_not_the_paper_once(tmp_path, images, capsys):  # noqa: F811
    config = make_config("paper", "srresnet", [*TINY, "run.steps=2", "run.ckpt_every=2", "run.val_every=2",
                                               "data.val_split=1", "data.workers=0"])
    assert config.data.val is None and not config.data.augment and config.run.amp == "off"
    result = train(config, tmp_path / "paper", train_images=images)
    out = capsys.readouterr().out
    assert out.count("where this run is not the paper's recipe") == 1
    assert "not the paper's 350 thousand ImageNet images" in out and "model.num_blocks=2 (paper: 16)" in out
    assert "val_psnr" in result.final  # validated on the held-out image
    assert np.isfinite(result.final["loss_g"])
