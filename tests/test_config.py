from pathlib import Path

import pytest
import yaml

from srgan_lite.config import TrainConfig, make_config
from srgan_lite.errors import ConfigError

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


def test_paper_profile_is_the_papers_recipe():
    g = make_config("paper", "srresnet")
    assert (g.data.batch_size, g.data.patch_size) == (16, 96)
    assert g.optim.lr == 1e-4 and g.optim.betas[0] == 0.9 and g.run.steps == 1_000_000
    assert g.loss.content == "mse"
    gan = make_config("paper", "srgan")
    assert gan.run.steps == 200_000 and gan.optim.schedule == "step" and gan.optim.milestones == [100_000]
    assert gan.optim.gamma == 0.1 and gan.loss.content == "vgg54" and gan.loss.adversarial_weight == 1e-3
    assert gan.run.init == "srresnet_x4"


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
