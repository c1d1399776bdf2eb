import json

import pytest
import torch

from srgan_lite import save_generator, srresnet
from srgan_lite.errors import WeightsError
from srgan_lite.models import RRDBNet, rrdbnet
from srgan_lite.models import pretrained as weights
from srgan_lite.training import training_config
from srgan_lite.utils import sha256_file


@pytest.fixture
def registry_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(weights, "WEIGHTS_DIR", tmp_path)
    weights.registry.cache_clear()
    yield tmp_path
    weights.registry.cache_clear()


def test_publish_then_load_by_name(registry_dir, tmp_path):
    torch.manual_seed(0)
    model = srresnet(num_blocks=2, channels=8)
    source = save_generator(model, tmp_path / "src" / "g.safetensors")
    history = tmp_path / "h.csv"
    history.write_text("step,loss_g\n1,0.5\n")
    weights.publish(source, "tiny_x4", description="a test", card="# tiny\n", history=history, scores={"Set5": [30.0, 0.9]})
    entry = json.loads((registry_dir / "registry.json").read_text())["tiny_x4"]
    assert entry["sha256"] == sha256_file(registry_dir / "tiny_x4.safetensors")
    loaded = weights.load_pretrained("tiny_x4")
    x = torch.rand(1, 3, 6, 6)
    assert (loaded(x) - model.eval()(x)).abs().max() < 2e-2  # shipped as fp16
    assert weights.model_card("tiny_x4") == "# tiny\n"
    assert weights.history_path("tiny_x4").read_text().startswith("step,loss_g")


def test_sha256_mismatch_is_refused(registry_dir, tmp_path):
    source = save_generator(srresnet(num_blocks=1, channels=8), tmp_path / "g.safetensors")
    weights.publish(source, "tiny_x4", description="t", card="c")
    with open(registry_dir / "tiny_x4.safetensors", "r+b") as f:
        f.seek(-4, 2)
        f.write(b"\x00\x01\x02\x03")
    with pytest.raises(WeightsError, match="sha256"):
        weights.load_pretrained("tiny_x4")


def test_unknown_name_lists_the_registered_ones(registry_dir):
    with pytest.raises(WeightsError, match="unknown weights 'nope'"):
        weights.load_pretrained("nope")


def test_published_rrdbnet_loads_by_name_through_its_builder(registry_dir, tmp_path):
    torch.manual_seed(0)
    model = rrdbnet(num_blocks=1, channels=8, growth=4)
    weights.publish(save_generator(model, tmp_path / "r.safetensors"), "tiny_rrdb_x4", description="t", card="c")
    assert weights.registry()["tiny_rrdb_x4"]["config"]["arch"] == "rrdbnet"
    loaded = rrdbnet(weights="tiny_rrdb_x4")
    assert isinstance(loaded, RRDBNet) and loaded.config == model.config and not loaded.training
    assert all(torch.equal(v, weights.load_pretrained("tiny_rrdb_x4").state_dict()[k]) for k, v in loaded.state_dict().items())
    with pytest.raises(WeightsError, match="'tiny_rrdb_x4' are a generator of arch 'rrdbnet', not 'srresnet'") as error:
        srresnet(weights="tiny_rrdb_x4")
    assert "\n" not in str(error.value)


def test_publish_from_an_rrdbnet_training_checkpoint(registry_dir, tmp_path):
    from srgan_lite import save_checkpoint

    torch.manual_seed(0)
    model = rrdbnet(num_blocks=1, channels=8, growth=4)
    ckpt = save_checkpoint({"config": {"model": model.config.to_dict()}, "generator": model.state_dict()}, tmp_path / "s.pt")
    weights.publish(ckpt, "ckpt_rrdb_x4", description="t", card="c")
    assert isinstance(weights.load_pretrained("ckpt_rrdb_x4"), RRDBNet)


def test_publish_from_an_ema_run_checkpoint_ships_the_average(registry_dir, tmp_path):
    """A run with run.ema_decay exports the average of G: publishing its checkpoint must ship that, not the raw G."""
    import srgan_lite as sl

    config = sl.make_config("texture", "srresnet", ["run.steps=3", "run.device=cpu", "run.log_every=0",
                                                    "run.ema_decay=0.5", "run.ckpt_every=3", "data.batch_size=2"])
    result = sl.train(config, tmp_path / "run")
    weights.publish(result.checkpoint_path, "ema_x4", description="t", card="c")
    shipped, exported = weights.load_pretrained("ema_x4"), sl.load_generator(result.generator_path)
    for (name, a), b in zip(shipped.state_dict().items(), exported.state_dict().values()):
        if a.is_floating_point():
            torch.testing.assert_close(a.float(), b.float(), atol=2e-3, rtol=2e-3, msg=name)  # fp16 on disk
    raw = sl.load_checkpoint(result.checkpoint_path)["generator"]
    assert any(not torch.allclose(shipped.state_dict()[k].float(), v.float(), atol=1e-2) for k, v in raw.items()
               if v.is_floating_point())


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(weights.registry()))
def test_shipped_model_reproduces_its_registered_scores(name):
    """What registry.json (and the model card) states: PSNR/SSIM on Y, x4, the paper's protocol, fp32, on every set
    recorded (Set5 for the photograph models, the held-out tiles of ``texture:gravel`` for the texture ones).
    About 15 s of CPU per photograph model (2 cores; 5 images up to 512x512 through the full network)."""
    from srgan_lite.evaluation import evaluate

    scores = weights.registry()[name]["scores"]
    assert scores, f"{name} records no scores"
    for dataset, (recorded_psnr, recorded_ssim) in scores.items():
        if dataset == "Set14":
            continue  # Set5 (or the texture) suffices to catch wrong weights; Set14 would double the time
        result = evaluate(name, dataset, perceptual=False, device="cpu")
        assert result.n_images == (8 if dataset.startswith("texture:") else 5)
        assert abs(result.psnr_y - recorded_psnr) <= 0.01, (name, dataset, result.psnr_y, recorded_psnr)
        assert abs(result.ssim_y - recorded_ssim) <= 1e-4, (name, dataset, result.ssim_y, recorded_ssim)


# --- training_config: the configuration shipped beside the weights (publish(..., config=...)) ---------------------


def _two_stages():
    import srgan_lite as sl

    warm = sl.make_config("quick", "srresnet", ["model.upsampler=resize", "model.icnr=false", "run.steps=1000"])
    adversarial = sl.make_config("quick", "srgan", ["model.upsampler=resize", "model.icnr=false", "run.init=srresnet_x4",
                                                    "loss.artifact_weight=50", "run.ema_decay=0.999"])
    return warm, adversarial


def test_publish_with_config_round_trips_through_training_config(registry_dir, tmp_path):
    warm, adversarial = _two_stages()
    source = save_generator(srresnet(num_blocks=1, channels=8), tmp_path / "g.safetensors")
    weights.publish(source, "tiny_x4", description="t", card="c", config={"srresnet": warm, "srgan": adversarial.to_dict()})
    assert weights.registry()["tiny_x4"]["train_config"] == "tiny_x4_config.yaml"
    assert (registry_dir / "tiny_x4_config.yaml").is_file()
    assert training_config("tiny_x4").to_dict() == adversarial.to_dict()  # stage=None: the last stage
    assert training_config("tiny_x4", stage="srgan").to_dict() == adversarial.to_dict()
    assert training_config("tiny_x4", stage="srresnet").to_dict() == warm.to_dict()
    # a single TrainConfig is stored under its run.stage
    weights.publish(source, "one_x4", description="t", card="c", config=adversarial)
    assert training_config("one_x4", stage="srgan").to_dict() == adversarial.to_dict()


def test_training_config_refuses_an_unknown_stage_in_one_line(registry_dir, tmp_path):
    warm, adversarial = _two_stages()
    source = save_generator(srresnet(num_blocks=1, channels=8), tmp_path / "g.safetensors")
    weights.publish(source, "tiny_x4", description="t", card="c", config={"srresnet": warm, "srgan": adversarial})
    with pytest.raises(WeightsError, match=r"'tiny_x4' have no training stage 'texture'.*'srresnet', 'srgan'") as error:
        training_config("tiny_x4", stage="texture")
    assert "\n" not in str(error.value)


def test_training_config_refuses_weights_without_one_and_unknown_names(registry_dir, tmp_path):
    source = save_generator(srresnet(num_blocks=1, channels=8), tmp_path / "g.safetensors")
    weights.publish(source, "bare_x4", description="t", card="c")  # every existing call keeps working
    assert "train_config" not in weights.registry()["bare_x4"]
    with pytest.raises(WeightsError, match="'bare_x4' ship no training configuration") as error:
        training_config("bare_x4")
    assert "\n" not in str(error.value)
    with pytest.raises(WeightsError, match="unknown weights 'nope'"):
        training_config("nope")


def test_publish_refuses_machine_paths_in_the_config_before_writing(registry_dir, tmp_path):
    import srgan_lite as sl

    config = sl.make_config("quick", "srgan", [f"run.init={tmp_path / 'g.safetensors'}"])
    source = save_generator(srresnet(num_blocks=1, channels=8), tmp_path / "g.safetensors")
    with pytest.raises(WeightsError, match="machine path run.init="):
        weights.publish(source, "tiny_x4", description="t", card="c", config=config)
    assert not (registry_dir / "registry.json").exists()


def test_shipped_training_configs_round_trip_and_are_package_data():
    """Every registry entry with ``train_config`` loads through TrainConfig.from_dict, stage by stage, and its file
    is package data (so that an installed srgan-lite ships it)."""
    import fnmatch
    import tomllib
    from pathlib import Path

    import yaml

    from srgan_lite.training.config import TrainConfig

    with open(Path(weights.__file__).parents[2] / "pyproject.toml", "rb") as f:
        patterns = tomllib.load(f)["tool"]["setuptools"]["package-data"]["srgan_lite"]
    for name, entry in weights.registry().items():
        if not entry.get("train_config"):
            continue
        assert fnmatch.fnmatch(f"weights/{entry['train_config']}", "weights/*.yaml") and "weights/*.yaml" in patterns
        stages = yaml.safe_load((weights.WEIGHTS_DIR / entry["train_config"]).read_text())
        assert isinstance(stages, dict) and stages, name
        for stage, data in stages.items():
            assert TrainConfig.from_dict(data).to_dict() == training_config(name, stage).to_dict(), (name, stage)


def test_srgan_x4_ships_its_training_config():
    """Chapter 8b reads srgan_x4's configuration, both stages: a resize-convolution warm start from srresnet_x4's
    trunk, then the adversarial stage with the recipe's options."""
    assert weights.registry()["srgan_x4"].get("train_config"), "srgan_x4 ships no train_config (publish(..., config=...))"
    warm, adversarial = training_config("srgan_x4", stage="srresnet"), training_config("srgan_x4")
    assert (warm.run.stage, adversarial.run.stage) == ("srresnet", "srgan")
    assert warm.model.upsampler == adversarial.model.upsampler == "resize"
    assert warm.run.init == "srresnet_x4" and warm.run.init_trunk
    assert adversarial.discriminator.arch == "patch" and adversarial.run.ema_decay > 0
    assert adversarial.loss.artifact_weight > 0 and adversarial.loss.content == "lite0_norm"
