"""The training loop on tiny data: runs, checkpoints, resume, divergence, DDP."""
import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from srgan_lite.errors import CheckpointError, ConfigError, TrainingDiverged
from srgan_lite.losses import perceptual as perceptual_loss
from srgan_lite.models.checkpoint import load_checkpoint, load_generator
from srgan_lite.training.config import make_config
from srgan_lite.training.loop import PositionStream, Trainer, train
from srgan_lite.training.schedule import lr_factor

ROOT = Path(__file__).resolve().parents[1]
TINY = ["model.num_blocks=2", "model.channels=16", "data.patch_size=32", "data.batch_size=4", "data.val=null",
        "run.device=cpu", "run.progress=false", "run.log_every=1", "run.amp=off"]


def tiny_config(stage="srresnet", steps=6, *extra):
    return make_config("quick", stage, [*TINY, f"run.steps={steps}", "run.val_every=0", f"run.ckpt_every={steps}", *extra])


@pytest.fixture(scope="module")
def images():
    rng = np.random.default_rng(0)
    base = np.linspace(0, 255, 80 * 80 * 3).reshape(80, 80, 3)
    return [(f"img{i}", np.clip(base + rng.normal(0, 20, base.shape), 0, 255).astype(np.uint8)) for i in range(3)]


def losses_by_step(rows, key="loss_g"):
    return {int(float(r["step"])): round(float(r[key]), 6) for r in rows}


def test_srresnet_run_writes_checkpoint_history_and_weights(tmp_path, images):
    val = [("v", images[0][1][:48, :48])]
    config = tiny_config("srresnet", 6, "run.val_every=3")
    result = train(config, tmp_path / "run", train_images=images, val_images=val)
    assert [r["step"] for r in result.history] == [1, 2, 3, 4, 5, 6]
    assert all(np.isfinite(r["loss_g"]) and "adversarial_weight" not in r for r in result.history)  # no game: no weight
    assert "val_psnr" in result.history[2] and "val_psnr" in result.history[5]
    assert sorted(p.name for p in (tmp_path / "run" / "samples").iterdir()) == ["step_00000003.png", "step_00000006.png"]
    assert (tmp_path / "run" / "checkpoints" / "step_00000006.pt").exists()
    with open(tmp_path / "run" / "history.csv") as f:
        assert len(list(csv.DictReader(f))) == 6
    model = load_generator(result.generator_path)
    assert model.config == config.model
    assert (tmp_path / "run" / "config.yaml").read_text().startswith("model:")


def _parameters(module):
    return {k: v.detach().clone() for k, v in module.named_parameters()}


def _changed(before, module):
    return {k for k, v in module.named_parameters() if not torch.equal(v, before[k])}


def test_srgan_run_trains_both_networks_on_eq3(tmp_path, images):
    trainer = Trainer(tiny_config("srgan", 4), tmp_path / "gan", train_images=images)
    g0, d0 = _parameters(trainer.generator), _parameters(trainer.discriminator)
    result = trainer.fit()
    assert _changed(g0, trainer.generator) == set(g0) and _changed(d0, trainer.discriminator) == set(d0)
    for row in result.history:  # one step per row: G's loss is Eq. (3), content + 10^-3 * adversarial
        assert row["adversarial_weight"] == 1e-3  # logged, so a history joined from stages plots weighted terms
        assert row["loss_g"] == pytest.approx(row["content"] + row["adversarial_weight"] * row["adversarial"], rel=1e-5)
        assert 0 < row["d_fake"] < 1 and 0 < row["d_real"] < 1 and row["loss_d"] > 0
    state = load_checkpoint(tmp_path / "gan" / "checkpoints" / "step_00000004.pt")
    assert {"generator", "discriminator", "opt_g", "opt_d", "sched_g", "sched_d", "rng", "config", "step"} == set(state)
    assert state["step"] == 4 and state["config"] == trainer.config.to_dict()
    assert all(torch.equal(state["discriminator"][k], v) for k, v in trainer.discriminator.state_dict().items())


def test_g_step_leaves_d_unchanged_and_d_step_leaves_g_unchanged(tmp_path, images):
    trainer = Trainer(tiny_config("srgan", 2, "data.shift_jitter=4"), tmp_path / "steps", train_images=images)
    lr_image, hr_image = next(trainer.batches())
    g0, d0 = _parameters(trainer.generator), _parameters(trainer.discriminator)
    handed = trainer.objective.generator_step(lr_image, hr_image)
    assert _changed(g0, trainer.generator) == set(g0)
    assert not _changed(d0, trainer.discriminator)  # D's BatchNorm statistics do move: D ran in training mode
    assert all(p.grad is None and p.requires_grad for p in trainer.discriminator.parameters())
    # what D's step needs is handed over: the detached fakes and the HR crops of the same jitter windows
    assert handed.sr.shape == handed.hr.shape == (4, 3, 32, 32) and not handed.sr.requires_grad
    assert hr_image.shape[-1] == 36 and set(handed.stats) == {"loss_g", "content", "adversarial"}
    g1, g1_buffers = _parameters(trainer.generator), {k: v.clone() for k, v in trainer.generator.named_buffers()}
    trainer.objective.discriminator_step(handed)
    assert _changed(d0, trainer.discriminator) == set(d0)
    assert not _changed(g1, trainer.generator)
    assert all(torch.equal(v, g1_buffers[k]) for k, v in trainer.generator.named_buffers())


def test_bf16_autocast_trains_with_fp32_weights(tmp_path, images):
    trainer = Trainer(tiny_config("srgan", 3, "run.amp=bf16"), tmp_path / "bf16", train_images=images)
    assert trainer.amp
    seen = []
    for net in (trainer.generator.head[0], trainer.discriminator.features[0]):
        net.register_forward_hook(lambda module, args, out: seen.append(out.dtype))
    g0, d0 = _parameters(trainer.generator), _parameters(trainer.discriminator)
    result = trainer.fit()
    assert set(seen) == {torch.bfloat16}  # the convolutions really ran in bf16
    assert all(np.isfinite(r[k]) for r in result.history for k in ("loss_g", "content", "adversarial", "loss_d"))
    assert _changed(g0, trainer.generator) == set(g0) and _changed(d0, trainer.discriminator) == set(d0)
    for net in (trainer.generator, trainer.discriminator):
        assert {p.dtype for p in net.parameters()} == {torch.float32}
        assert {v.dtype for k, v in net.state_dict().items() if "num_batches" not in k} == {torch.float32}


@pytest.fixture(scope="module")
def vgg_file(tmp_path_factory):
    """VGG19's convolutions with random weights, saved as a state dict: the real loading path, no download."""
    from torchvision.models.vgg import cfgs, make_layers

    torch.manual_seed(0)
    features = make_layers(cfgs["E"])
    for m in features.modules():
        if isinstance(m, torch.nn.Conv2d):
            torch.nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
    path = tmp_path_factory.mktemp("vgg") / "vgg19_random.pt"
    torch.save({f"features.{k}": v.half() for k, v in features.state_dict().items()}, path)
    return path


def _loaded_from(loss, path, layer):
    """The trainer's content loss is VGG19's ``layer`` with the file's weights (not a fallback)."""
    vgg = loss.content.vgg
    saved = torch.load(path, weights_only=True)["features.0.weight"]
    return vgg.pretrained and loss.content.layer == layer and torch.equal(vgg.features[0].weight, saved.float())


def test_srresnet_with_vgg22_trains_on_the_vgg_loss(tmp_path, images, vgg_file):
    config = tiny_config("srresnet", 3, "loss.content=vgg22", f"loss.vgg_weights={vgg_file}", "loss.pixel_weight=0.5")
    trainer = Trainer(config, tmp_path / "vgg22", train_images=images)
    assert _loaded_from(trainer.objective.loss, vgg_file, "relu2_2")
    result = trainer.fit()
    for row in result.history:  # the logged content loss is VGG22's, not the pixel MSE beside it
        assert abs(row["content"] - row["pixel"]) > 0.1 * row["pixel"]
        assert row["loss_g"] == pytest.approx(row["content"] + 0.5 * row["pixel"], rel=1e-5)


def test_srgan_with_vgg54(tmp_path, images, vgg_file):
    config = tiny_config("srgan", 2, "loss.content=vgg54", f"loss.vgg_weights={vgg_file}")
    trainer = Trainer(config, tmp_path / "vgg54", train_images=images)
    assert _loaded_from(trainer.objective.loss, vgg_file, "relu5_4")
    g0, d0 = _parameters(trainer.generator), _parameters(trainer.discriminator)
    result = trainer.fit()
    assert _changed(g0, trainer.generator) == set(g0) and _changed(d0, trainer.discriminator) == set(d0)
    for row in result.history:
        assert np.isfinite(row["content"]) and row["content"] > 0
        assert row["loss_g"] == pytest.approx(row["content"] + 1e-3 * row["adversarial"], rel=1e-5)


def test_frozen_upsampler_recipe_trains_the_body_only(tmp_path, images):
    """lite0_norm, pixel and phase losses with ``optim.freeze_upsampler``: G's sub-pixel upsampler and last conv keep
    their starting weights (an earlier srgan_x4's recipe; its model card, section Earlier versions)."""
    from srgan_lite.losses.content import NormalizedFeatureLoss
    from srgan_lite.models.checkpoint import save_generator

    start = tmp_path / "start.safetensors"
    save_generator(Trainer(tiny_config("srgan", 1), tmp_path / "init", train_images=images).generator, start)
    config = tiny_config("srgan", 2, "loss.content=lite0_norm", "loss.pixel_weight=1", "loss.phase_weight=100",
                         "optim.freeze_upsampler=true", f"run.init={start}")
    trainer = Trainer(config, tmp_path / "recipe", train_images=images)
    assert isinstance(trainer.objective.loss.content, NormalizedFeatureLoss) and trainer.objective.loss.scale == 4
    g0 = _parameters(trainer.generator)
    result = trainer.fit()
    frozen = {k for k in g0 if k.startswith(("upsample.", "tail."))}
    assert frozen and _changed(g0, trainer.generator) == set(g0) - frozen
    for row in result.history:
        assert row["phase"] > 0
        assert row["loss_g"] == pytest.approx(row["content"] + row["pixel"] + 100 * row["phase"]
                                              + 1e-3 * row["adversarial"], rel=1e-5)


def test_resize_srgan_recipe_trains_with_all_its_options_together(tmp_path, images):
    """srgan_x4's options in one tiny run: resize-convolution G, patch D with spectral norm, shift jitter, lite0_norm
    content + pixel MSE + phase + LDL artifact loss (the EMA of G as its reference), and the EMA exported."""
    from srgan_lite.losses.content import NormalizedFeatureLoss
    from srgan_lite.models.blocks import ResizeConvUpsampler
    from srgan_lite.models.patch_discriminator import PatchDiscriminator

    config = tiny_config("srgan", 2, "model.upsampler=resize", "model.icnr=false", "discriminator.arch=patch",
                         "discriminator.channels=8", "data.shift_jitter=4", "loss.content=lite0_norm",
                         "loss.content_rescale=0.3", "loss.pixel_weight=1", "loss.phase_weight=300",
                         "loss.artifact_weight=50", "loss.adversarial_weight=5e-3", "run.ema_decay=0.999")
    trainer = Trainer(config, tmp_path / "recipe", train_images=images)
    assert any(isinstance(m, ResizeConvUpsampler) for m in trainer.generator.modules())
    assert isinstance(trainer.discriminator, PatchDiscriminator)
    assert any("parametrizations.weight" in k for k, _ in trainer.discriminator.named_parameters())  # spectral norm
    assert isinstance(trainer.objective.loss.content, NormalizedFeatureLoss)
    g0, d0 = _parameters(trainer.generator), _parameters(trainer.discriminator)
    result = trainer.fit()
    assert _changed(g0, trainer.generator) == set(g0) and _changed(d0, trainer.discriminator) == set(d0)
    for row in result.history:
        parts = ("content", "pixel", "phase", "artifact", "adversarial", "loss_g", "loss_d")
        assert all(np.isfinite(row[k]) for k in parts) and row["artifact"] >= 0
        assert row["loss_g"] == pytest.approx(row["content"] + row["pixel"] + 300 * row["phase"] + 50 * row["artifact"]
                                              + 5e-3 * row["adversarial"], rel=1e-5)
    with open(tmp_path / "recipe" / "history.csv") as f:
        assert "artifact" in csv.DictReader(f).fieldnames
    ema, raw = trainer.ema.module.state_dict(), trainer.generator.state_dict()
    assert any(not torch.equal(ema[k], raw[k]) for k in raw if raw[k].is_floating_point())
    exported = load_generator(result.generator_path)
    assert exported.config.upsampler == "resize"
    assert all(torch.equal(v, ema[k].float()) for k, v in exported.state_dict().items())  # what ships is the EMA


def test_init_trunk_starts_a_new_upsampler_from_a_trained_generators_trunk(tmp_path, images):
    """run.init_trunk: a resize-convolution G from a sub-pixel one keeps its trunk, and starts upsampler and last conv
    fresh; without it, the other upsampler is refused with a one-line error that names the option."""
    from srgan_lite.models.checkpoint import save_generator

    start = tmp_path / "subpixel.safetensors"
    save_generator(Trainer(tiny_config("srresnet", 1), tmp_path / "init", train_images=images).generator, start)
    source = load_generator(start).state_dict()
    resize = ("model.upsampler=resize", "model.icnr=false", f"run.init={start}")
    with pytest.raises(ConfigError, match="set run.init_trunk=true") as error:
        Trainer(tiny_config("srresnet", 1, *resize), tmp_path / "refused", train_images=images)
    assert "\n" not in str(error.value)
    trainer = Trainer(tiny_config("srresnet", 1, *resize, "run.init_trunk=true"), tmp_path / "trunk", train_images=images)
    state = trainer.generator.state_dict()
    trunk = [k for k in state if k.startswith(("head.", "body.", "body_tail."))]
    assert trunk and all(torch.equal(state[k], source[k]) for k in trunk)
    assert not torch.equal(state["tail.weight"], source["tail.weight"])  # fresh (same shape, new draw)
    upsampler = [k for k in state if k.startswith("upsample.") and k.endswith("conv.weight")]
    assert upsampler and all(state[k].shape != source[k].shape for k in upsampler)  # C -> C, not C -> 4C as before
    with pytest.raises(ConfigError, match="run.init_trunk=true takes the trunk of the starting network: set run.init"):
        tiny_config("srresnet", 1, "run.init_trunk=true")


@pytest.mark.parametrize("stage", ["srresnet", "srgan"])
def test_resume_matches_uninterrupted_run(tmp_path, images, stage):
    extra = ["data.shift_jitter=4"] if stage == "srgan" else []  # the jitter windows draw from the resumed RNG
    full = train(tiny_config(stage, 8, *extra), tmp_path / "full", train_images=images)
    # The same run, stopped after step 4 (as if killed) and resumed.
    config = tiny_config(stage, 8, "run.ckpt_every=4", *extra)
    first = train(config, tmp_path / "split", train_images=images)
    (tmp_path / "split" / "checkpoints" / "step_00000008.pt").unlink()  # pretend it died after the step-4 checkpoint
    resumed = train(config, tmp_path / "split", resume=True, train_images=images)
    keys = ["loss_g"] + (["loss_d", "d_real", "adversarial"] if stage == "srgan" else [])
    for key in keys:
        assert losses_by_step(resumed.history, key) == losses_by_step(full.history, key), key
        assert losses_by_step(first.history, key) == losses_by_step(full.history, key), key
    assert len(resumed.history) == 8
    elapsed = [row["elapsed_s"] for row in resumed.history]  # the clock goes on from step 4's row, not from 0
    assert elapsed[4] > elapsed[3] > 0 and elapsed == sorted(elapsed)


def test_sigkill_then_resume_ends_where_an_uninterrupted_run_ends(tmp_path):
    args = [sys.executable, "-m", "srgan_lite.cli", "train", "--profile", "quick", "--steps", "16",
            *[a for o in TINY + ["run.ckpt_every=4", "data.train=skimage", "run.keep_checkpoints=10"] for a in ("--set", o)]]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    reference = subprocess.run([*args, "--out", str(tmp_path / "ref")], capture_output=True, text=True, env=env, timeout=300)
    assert reference.returncode == 0, reference.stderr
    proc = subprocess.Popen([*args, "--out", str(tmp_path / "killed")], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    checkpoints = tmp_path / "killed" / "checkpoints"
    deadline = time.time() + 120
    while not (checkpoints.exists() and any(checkpoints.glob("step_*.pt"))) and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert any(checkpoints.glob("step_*.pt"))
    resumed = subprocess.run([*args, "--out", str(tmp_path / "killed"), "--resume"], capture_output=True, text=True, env=env, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    with open(tmp_path / "ref" / "history.csv") as a, open(tmp_path / "killed" / "history.csv") as b:
        assert losses_by_step(list(csv.DictReader(a))) == losses_by_step(list(csv.DictReader(b)))


def test_nan_stops_cleanly_and_keeps_last_good_checkpoint(tmp_path, images, monkeypatch):
    real_mse, calls = perceptual_loss.pixel_mse, {"n": 0}

    def poisoned(sr, hr):
        calls["n"] += 1
        value = real_mse(sr, hr)
        return value * float("nan") if calls["n"] == 5 else value

    monkeypatch.setattr(perceptual_loss, "pixel_mse", poisoned)  # the name PerceptualLoss calls
    with pytest.raises(TrainingDiverged, match="step 5.*step_00000004.pt"):
        train(tiny_config("srresnet", 8, "run.ckpt_every=2"), tmp_path / "nan", train_images=images)
    assert sorted(p.name for p in (tmp_path / "nan" / "checkpoints").iterdir())[-1] == "step_00000004.pt"
    assert load_checkpoint(tmp_path / "nan" / "checkpoints" / "step_00000004.pt")["step"] == 4


def test_resume_errors(tmp_path, images):
    with pytest.raises(CheckpointError, match="no checkpoint"):
        train(tiny_config(), tmp_path / "empty", resume=True, train_images=images)
    train(tiny_config("srresnet", 2), tmp_path / "r", train_images=images)
    with pytest.raises(CheckpointError, match="run.stage='srresnet', the config now has run.stage='srgan'"):
        train(tiny_config("srgan", 2), tmp_path / "r", resume=True, train_images=images)


@pytest.mark.parametrize("stage, change, field", [("srresnet", "model.channels=8", "model.channels"),
                                                  ("srresnet", "model.batch_norm=false", "model.batch_norm"),
                                                  ("srgan", "data.patch_size=48", "data.patch_size")])
def test_resuming_another_architecture_names_the_field(tmp_path, images, stage, change, field):
    train(tiny_config(stage, 1), tmp_path / "r", train_images=images)
    with pytest.raises(CheckpointError) as error:
        train(tiny_config(stage, 2, change), tmp_path / "r", resume=True, train_images=images)
    message = str(error.value)
    assert f"was trained with {field}=" in message and "config.yaml" in message and "\n" not in message


def test_paper_srgan_needs_a_trained_srresnet(tmp_path, images):
    config = make_config("paper", "srgan", ["run.device=cpu", "data.val=null"])
    with pytest.raises(ConfigError, match=r"pass --init srresnet_x4 .* or --init PATH.safetensors") as error:
        Trainer(config, tmp_path / "paper", train_images=images)
    assert "\n" not in str(error.value)
    assert make_config("quick", "srgan").run.init is None  # the quick profile trains from scratch, as before
    Trainer(tiny_config("srgan", 1), tmp_path / "quick", train_images=images)


def test_device_pipeline_trains_exactly_as_the_loader(tmp_path, images):
    loader = train(tiny_config("srgan", 3, "data.shift_jitter=4"), tmp_path / "loader", train_images=images)
    config = tiny_config("srgan", 3, "data.shift_jitter=4", "data.pipeline=device")
    trainer = Trainer(config, tmp_path / "device", train_images=images)
    assert trainer.stream is not None
    device = trainer.fit()
    for key in ("loss_g", "content", "loss_d"):
        assert losses_by_step(device.history, key) == losses_by_step(loader.history, key), key


def test_data_stream_is_a_function_of_position(images):
    from srgan_lite.data.crops import HRCropDataset

    stream = PositionStream(HRCropDataset(images, patch_size=32, scale=4), seed=3)
    a, b = stream[7], stream[7]
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(stream[8][1], a[1])


def test_lr_schedules():
    step = make_config("paper", "srgan")
    assert lr_factor(step, 99_999) == 1.0 and lr_factor(step, 100_000) == pytest.approx(0.1)
    cosine = make_config("quick", "srresnet", ["optim.schedule=cosine", "optim.min_lr_ratio=0.1", "run.steps=100"])
    assert lr_factor(cosine, 0) == 1.0 and lr_factor(cosine, 100) == pytest.approx(0.1)


def test_warmup_ramps_the_schedule_and_is_range_checked():
    warm = make_config("paper", "srgan", ["optim.warmup_steps=4", "run.steps=200000"])
    assert [lr_factor(warm, s) for s in range(5)] == [0.25, 0.5, 0.75, 1.0, 1.0]
    assert lr_factor(warm, 100_000) == pytest.approx(0.1)  # the ramp multiplies the step decay, then ends
    cosine = make_config("quick", "srresnet", ["optim.schedule=cosine", "optim.min_lr_ratio=0.1", "run.steps=100",
                                               "optim.warmup_steps=10"])
    assert lr_factor(cosine, 0) == pytest.approx(0.1 * lr_factor(make_config("quick", "srresnet", [
        "optim.schedule=cosine", "optim.min_lr_ratio=0.1", "run.steps=100"]), 0))
    with pytest.raises(ConfigError, match="optim.warmup_steps=200 must be below run.steps=200"):
        make_config("quick", "srresnet", ["optim.warmup_steps=200"])
    with pytest.raises(ConfigError, match="optim.warmup_steps=-1"):
        make_config("quick", "srresnet", ["optim.warmup_steps=-1"])
