from pathlib import Path

import pytest
import yaml

from srgan_lite.cli import main
from srgan_lite.errors import ConfigError
from srgan_lite.models.srresnet import PAPER_CONFIG
from srgan_lite.training.config import TrainConfig, make_config, paper_deviations

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


def test_paper_profile_is_the_papers_recipe():
    g = make_config("paper", "srresnet")
    assert (g.data.batch_size, g.data.patch_size) == (16, 96)
    assert g.optim.lr == 1e-4 and g.optim.betas[0] == 0.9 and g.run.steps == 1_000_000
    assert g.loss.content == "mse"
    gan = make_config("paper", "srgan")
    assert gan.run.steps == 200_000 and gan.optim.schedule == "step" and gan.optim.milestones == [100_000]
    assert gan.optim.gamma == 0.1 and gan.loss.content == "vgg54" and gan.loss.adversarial_weight == 1e-3
    assert gan.run.init is None  # the user passes the trained SRResNet (--init); see test_train
    for config in (g, gan):  # the paper's network and initialisation, no flips or rotations, fp32
        assert config.model == PAPER_CONFIG and not config.model.icnr
        assert not config.data.augment and config.run.amp == "off" and config.run.ema_decay == 0
        assert config.loss.gan_type == "vanilla" and config.data.shift_jitter == 0 and config.optim.grad_clip == 0
        # validation on held-out training images, not on a test set
        assert config.data.val is None and config.data.val_split == 10 and config.data.train == "DIV2K_train_HR"


def test_paper_print_config_shows_the_papers_choices(capsys):
    code = main(["train", "--stage", "srgan", "--profile", "paper", "--init", "srresnet_x4", "--print-config", "--out", "x"])
    printed = yaml.safe_load(capsys.readouterr().out)
    assert code == 0 and printed["data"]["augment"] is False and printed["model"]["icnr"] is False
    assert printed["run"]["amp"] == "off" and printed["run"]["init"] == "srresnet_x4"


def test_paper_deviations_name_what_cannot_be_the_paper_and_every_override():
    lines = paper_deviations(make_config("paper", "srgan"))
    assert len(lines) == 2 and "DIV2K_train_HR" in lines[0] and "ImageNet" in lines[0]
    assert "12.75" in lines[1] and "Caffe" in lines[1] and "normalised" in lines[1]
    lines = paper_deviations(make_config("paper", "srresnet", ["model.num_blocks=4", "run.amp=bf16", "run.device=cpu",
                                                               "data.augment=true", "run.ema_decay=0.9"]))
    assert lines[1:] == ["model.num_blocks=4 (paper: 16)", "data.augment=True (paper: False)",
                         "run.amp=bf16 (paper: off)", "run.ema_decay=0.9 (paper: 0.0)"]  # MSE: no VGG line; device: no deviation


def test_overrides_are_typed_and_checked():
    config = make_config("quick", "srresnet", ["optim.lr=2e-4", "data.patch_size=64", "model.num_blocks=4", "run.amp=bf16"])
    assert config.optim.lr == 2e-4 and config.data.patch_size == 64 and config.model.num_blocks == 4
    with pytest.raises(ConfigError, match="unknown config key 'optim.lrr'"):
        make_config("quick", "srresnet", ["optim.lrr=1"])
    with pytest.raises(ConfigError, match="data.patch_size"):
        make_config("quick", "srresnet", ["data.patch_size=abc"])
    with pytest.raises(ConfigError, match="multiple of the scale"):
        make_config("quick", "srresnet", ["data.patch_size=50"])
    with pytest.raises(ConfigError, match="key=value"):
        make_config("quick", "srresnet", ["optim.lr"])
    with pytest.raises(ConfigError, match="--profile"):
        make_config("fast", "srresnet")
    with pytest.raises(ConfigError, match="scale"):
        make_config("quick", "srresnet", ["model.scale=5"])


def test_yaml_round_trip(tmp_path):
    config = make_config("paper", "srgan", ["run.seed=7"])
    restored = TrainConfig.from_dict(yaml.safe_load(config.to_yaml()))
    assert restored == config
    path = tmp_path / "c.yaml"
    path.write_text("optim:\n  lr: 3.0e-4\nrun:\n  steps: 12\n")
    assert make_config("quick", "srresnet", yaml_file=path).run.steps == 12
    path.write_text("- not a mapping\n")
    with pytest.raises(ConfigError, match="mapping"):
        make_config("quick", "srresnet", yaml_file=path)


@pytest.mark.parametrize("profile", ["quick", "paper"])
@pytest.mark.parametrize("stage", ["srresnet", "srgan"])
def test_shipped_yaml_files_match_the_presets(profile, stage):
    path = CONFIGS / f"{profile}_{stage}.yaml"
    assert TrainConfig.from_dict(yaml.safe_load(path.read_text())) == make_config(profile, stage), (
        f"{path} is out of date: regenerate with srgan-lite train --profile {profile} --stage {stage} --print-config --out x")


@pytest.mark.parametrize("name, stage", [("photos_srresnet_resize", "srresnet"), ("photos_srgan", "srgan")])
def test_the_recipe_files_of_issue_25_load_on_the_paper_profile_and_set_what_they_say(name, stage):
    """The two stages of the photo SRGAN (configs/photos_*.yaml): partial files over the paper preset."""
    data = yaml.safe_load((CONFIGS / f"{name}.yaml").read_text())
    config = make_config("paper", stage, ["run.init=srresnet_x4"], yaml_file=CONFIGS / f"{name}.yaml").to_dict()
    for section, fields in data.items():
        for key, value in fields.items():
            assert config[section][key] == value, f"{section}.{key}"


@pytest.mark.parametrize("override, message", [
    ("data.workers=-3", "data.workers=-3 must be 0 or more"),
    ("run.log_every=-1", "run.log_every=-1 must be 0 or more"),
    ("run.val_every=-5", "run.val_every=-5 must be 0 or more"),
    ("run.ckpt_every=-1", "run.ckpt_every=-1 must be 0 or more"),
    ("run.keep_checkpoints=0", "run.keep_checkpoints=0 must be at least 1"),
    ("data.batch_size=0", "data.batch_size=0 must be at least 1"),
    ("data.patch_size=-8", "data.patch_size=-8 must be a positive multiple"),
    ("data.val_crop=-1", "data.val_crop=-1 must be 0 or more"),
    ("loss.adversarial_weight=-1e-3", "loss.adversarial_weight=-0.001 must be 0 or more"),
    ("loss.pixel_weight=-1", "loss.pixel_weight=-1.0 must be 0 or more"),
    ("loss.phase_weight=-1", "loss.phase_weight=-1.0 must be 0 or more"),
    ("optim.lr_d=0", "optim.lr_d=0.0 must be positive (or null)"),
    ("optim.lr=.nan", "optim.lr=nan must be positive"),
    ("optim.gamma=0", "optim.gamma=0.0 must be positive"),
    ("optim.betas=[0.9,1.0]", "optim.betas[1]=1.0 must be in [0, 1)"),
    ("optim.betas=[-0.1,0.9]", "optim.betas[0]=-0.1 must be in [0, 1)"),
    ("optim.betas=[0.9]", "'optim.betas': [0.9] is not valid: give a list of 2 floats"),
    ("optim.min_lr_ratio=2", "optim.min_lr_ratio=2.0 must be at most 1"),
    ("optim.milestones=[10,-1]", "optim.milestones[1]=-1 must be 0 or more"),
    ("optim.grad_clip=-1", "optim.grad_clip=-1.0 must be 0 or more"),
    ("run.seed=-1", "run.seed=-1 must be 0 or more"),
    ("run.init=123", "'run.init': 123 is not valid: give a str or null"),
    ("run.init=''", "run.init is empty"),
    ("loss.content_rescale=abc", "'loss.content_rescale': 'abc' is not valid: give a float or null"),
    ("loss.content_rescale=true", "'loss.content_rescale': True is not valid: give a float or null"),
    ("optim.lr_d=[1]", "'optim.lr_d': [1] is not valid: give a float or null"),
    ("data.val=5", "'data.val': 5 is not valid: give a str or null"),
    ("data.train=null", "'data.train': None is not valid: give a str"),
    ("data.augment=1", "'data.augment': 1 is not valid: give true or false"),
    ("run.steps=1.5", "'run.steps': 1.5 is not valid: give an int"),
    ("model.channels=abc", "'model.channels': 'abc' is not valid: give an int"),
    ("model.nope=1", "unknown config key 'model.nope'"),
    ("run.sync_bn=sometimes", "run.sync_bn='sometimes' is unknown: choose auto, true, false"),
    ("run.sync_bn=1", "'run.sync_bn': 1 is not valid: give a str or true or false"),
    ("run.amp=fp8", "run.amp='fp8' is unknown: choose auto, bf16, off"),
    ("data.pipeline=gpu", "data.pipeline='gpu' is unknown: choose loader, device"),
    ("run.device=gpu", "run.device='gpu' is unknown"),
    ("loss.content=vgg99", "loss.content='vgg99' is unknown"),
    ("data.shift_jitter=8", "data.shift_jitter=8 acts in SRGAN training only"),
    ("optim.lr_d=1e-5", "optim.lr_d=1e-05 acts in SRGAN training only"),
    ("loss.adversarial_weight=0.01", "loss.adversarial_weight=0.01 acts in SRGAN training only"),
    ("loss.gan_type=relativistic", "loss.gan_type=relativistic acts in SRGAN training only"),
    ("loss.gan_type=wgan", "loss.gan_type='wgan' is unknown: choose vanilla, relativistic"),
    ("loss.phase_window=16", "unknown config key 'loss.phase_window'"),
    ("loss.phase_free_content=true", "unknown config key 'loss.phase_free_content'"),
    ("loss.adversarial_warmup=10", "unknown config key 'loss.adversarial_warmup'"),
    ("loss.content=lite0", "loss.content='lite0' is unknown: choose mse, vgg22, vgg54, lite0_norm"),
    ("optim.milestones=[10]", "optim.milestones=[10] acts with optim.schedule=step only"),
    ("optim.gamma=0.5", "optim.gamma=0.5 acts with optim.schedule=step only"),
    (["optim.schedule=constant", "optim.min_lr_ratio=0.5"], "optim.min_lr_ratio=0.5 acts with optim.schedule=cosine only"),
    (["data.pipeline=device", "data.workers=2"], "data.workers=2 acts with data.pipeline=loader only"),
    ("loss.vgg_weights=vgg.pt", "loss.vgg_weights=vgg.pt acts with a VGG content loss only"),
    (["loss.content=lite0_norm", "loss.allow_random_vgg=true"], "loss.allow_random_vgg=True acts with a VGG content loss only"),
    (["model.batch_norm=false", "optim.freeze_generator_bn=true"], "optim.freeze_generator_bn=True acts on G's BatchNorm"),
    ("run.ema_decay=1", "run.ema_decay=1.0 must be in [0, 1)"),
    ("loss.artifact_weight=1", "loss.artifact_weight=1.0 compares G with the average of its weights: set run.ema_decay"),
    (["loss.artifact_weight=1", "run.ema_decay=0.999"], "loss.artifact_weight=1.0 acts in SRGAN training only"),
    ("loss.artifact_weight=-1", "loss.artifact_weight=-1.0 must be 0 or more"),
    ("run.ema_decay=-0.5", "run.ema_decay=-0.5 must be in [0, 1)"),
    ("data.val_split=-1", "data.val_split=-1 must be 0 or more"),
    ("data.val_split=2", "data.val=skimage and data.val_split=2 both choose the validation images"),
    ("loss.pixel_weight=0.1", "loss.pixel_weight=0.1 acts beside a feature content loss only"),
    ("loss.content_rescale=0.1", "loss.content_rescale=0.1 acts beside a feature content loss only"),
    ("optim.freeze_upsampler=true", "optim.freeze_upsampler=true keeps the upsampler of the starting network: set run.init"),
])
def test_every_bad_value_is_a_one_line_error_naming_the_option(override, message):
    with pytest.raises(ConfigError) as error:
        make_config("quick", "srresnet", [override] if isinstance(override, str) else override)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_the_cli_refuses_an_option_the_schedule_ignores_in_one_line(capsys, tmp_path):
    code = main(["train", "--out", str(tmp_path / "r"), "--set", "optim.schedule=cosine", "--set", "optim.milestones=[10]"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "optim.milestones=[10]" in err and "optim.schedule=step" in err


@pytest.mark.parametrize("profile, stage, overrides", [
    ("quick", "srresnet", ["optim.schedule=constant"]),    # the preset's min_lr_ratio is not the user's: no refusal
    ("quick", "srresnet", ["data.pipeline=device"]),       # nor are the preset's workers (0 here)
    ("paper", "srgan", ["data.pipeline=device", "optim.schedule=cosine"]),  # workers 4, milestones [100000]
    ("quick", "srgan", ["loss.gan_type=relativistic", "run.ema_decay=0.999", "loss.adversarial_weight=5e-3"]),
    ("quick", "srgan", ["loss.artifact_weight=1", "run.ema_decay=0.999"]),
    ("paper", "srgan", ["data.val=Set5", "data.val_split=0"]),
    ("quick", "srresnet", ["loss.content=vgg22", "loss.vgg_weights=vgg.pt", "loss.allow_random_vgg=true"]),
])
def test_options_that_act_are_accepted(profile, stage, overrides):
    config = make_config(profile, stage, overrides)
    assert TrainConfig.from_dict(yaml.safe_load(config.to_yaml())) == config  # and a checkpoint's config reloads


def test_fields_whose_default_is_none_take_their_type_or_null():
    config = make_config("quick", "srgan", ["optim.lr_d=4e-4", "loss.content=lite0_norm", "loss.content_rescale=1e-1",
                                            "run.init=srresnet_x4", "run.sync_bn=false"])
    assert config.optim.lr_d == 4e-4 and config.loss.content_rescale == 0.1 and config.run.init == "srresnet_x4"
    assert config.run.sync_bn is False
    assert make_config("quick", "srgan", ["optim.lr_d=1e-4", "optim.lr_d=null"]).optim.lr_d is None
    assert make_config("quick", "srgan", ["run.sync_bn=true"]).run.sync_bn is True
    assert make_config("quick", "srgan").run.sync_bn == "auto"
    restored = TrainConfig.from_dict(yaml.safe_load(config.to_yaml()))
    assert restored == config
