"""Generators through one registry (``model.arch``): building, receptive radius, tiling, and an RRDBNet that
trains, saves, loads and is evaluated through the same paths as SRResNet."""
from pathlib import Path

import numpy as np
import pytest
import torch

from srgan_lite.errors import CheckpointError, ConfigError
from srgan_lite.models import (
    ARCHITECTURES,
    GENERATOR_ARCHS,
    GeneratorConfig,
    RRDBNet,
    SRResNet,
    build_generator,
    load_generator,
    save_generator,
)


def test_every_arch_builds_its_class_with_the_config():
    assert tuple(ARCHITECTURES) == GENERATOR_ARCHS == ("srresnet", "rrdbnet")
    for arch, cls in (("srresnet", SRResNet), ("rrdbnet", RRDBNet)):
        config = GeneratorConfig(arch=arch, scale=2, num_blocks=1, channels=8)
        model = build_generator(config)
        assert type(model) is cls and model.config == config and model.training
        assert model(torch.rand(1, 3, 5, 6)).shape == (1, 3, 10, 12)


def test_arch_is_a_config_option(tmp_path):
    from srgan_lite.training.config import make_config

    config = make_config("quick", "srresnet", ["model.arch=rrdbnet", "model.num_blocks=1", "model.growth=8"])
    assert config.model == GeneratorConfig(arch="rrdbnet", num_blocks=1, growth=8)
    assert make_config("quick", "srresnet").model.arch == "srresnet"
    with pytest.raises(ConfigError, match="model.arch='edsr' is unknown"):
        make_config("quick", "srresnet", ["model.arch=edsr"])


def test_resuming_with_another_arch_names_the_field():
    from srgan_lite.training.config import make_config
    from srgan_lite.training.state import check_resumable

    saved = make_config("quick", "srresnet").to_dict()
    now = make_config("quick", "srresnet", ["model.arch=rrdbnet"]).to_dict()
    with pytest.raises(CheckpointError, match="was trained with model.arch='srresnet', the config now has "
                                              "model.arch='rrdbnet'"):
        check_resumable(saved, now, Path("run/checkpoints/step_00000001.pt"))
    grown = make_config("quick", "srresnet", ["model.arch=rrdbnet", "model.growth=8"]).to_dict()
    with pytest.raises(CheckpointError, match="model.growth=32, the config now has model.growth=8"):
        check_resumable(now, grown, Path("run/checkpoints/step_00000001.pt"))


def _dependency_radius(model: torch.nn.Module, size: int = 0) -> int:
    """How far, in LR pixels, the outputs of one LR pixel's cell reach back: measured with a gradient."""
    torch.manual_seed(0)
    scale, radius = model.config.scale, model.receptive_radius()
    size = size or 2 * radius + 9
    centre = size // 2
    lr = torch.rand(1, 3, size, size, requires_grad=True)
    cell = model(lr)[:, :, centre * scale:(centre + 1) * scale, centre * scale:(centre + 1) * scale]
    (cell * torch.randn_like(cell)).sum().backward()  # every output phase of the cell
    rows = torch.nonzero(lr.grad.abs().sum(dim=(0, 1, 3))).flatten()
    return max(centre - rows.min().item(), rows.max().item() - centre)


@pytest.mark.parametrize("config", [
    GeneratorConfig(scale=2, num_blocks=1, channels=4), GeneratorConfig(scale=3, num_blocks=1, channels=4),
    GeneratorConfig(scale=4, num_blocks=2, channels=4), GeneratorConfig(scale=8, num_blocks=0, channels=4),
    GeneratorConfig(arch="rrdbnet", scale=2, num_blocks=1, channels=4, growth=2),
    GeneratorConfig(arch="rrdbnet", scale=4, num_blocks=1, channels=4, growth=2),
    GeneratorConfig(arch="rrdbnet", scale=8, num_blocks=0, channels=4, growth=2),
], ids=lambda c: f"{c.arch}-x{c.scale}-B{c.num_blocks}")
def test_receptive_radius_is_exact(config):
    """The radius the model reports is the reach of its outputs, no more (tiles would waste work) and no less
    (tiles would differ from the whole image)."""
    model = build_generator(config).eval()
    for m in model.modules():  # LeakyReLU/PReLU never zero a gradient; BN in eval mode is affine
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_var.fill_(1.0)
    assert _dependency_radius(model) == model.receptive_radius()


def test_receptive_radius_of_the_two_papers_generators():
    from srgan_lite.inference import receptive_radius
    from srgan_lite.models.rrdbnet import ESRGAN_CONFIG

    assert receptive_radius(GeneratorConfig()) == 40  # SRResNet: 4 + 2 x 16 + 1 + 1 + 1/2 + 4/4, rounded up
    assert receptive_radius(ESRGAN_CONFIG) == 15 * 23 + 4  # 15 convs per RRDB + 1 + 1 + 1/2 + 1/4 + 2/4, rounded up


def test_rrdbnet_tiles_equal_the_whole_image():
    from srgan_lite.inference import upscale_tensor

    torch.manual_seed(0)
    model = RRDBNet(num_blocks=1, channels=8, growth=4).eval()
    lr = torch.rand(1, 3, 48, 40)
    whole = upscale_tensor(model, lr)
    tiled = upscale_tensor(model, lr, tile=24)  # 2 x 2 tiles, each with 19 LR pixels of context
    assert whole.shape == tiled.shape == (1, 3, 192, 160)
    assert (whole - tiled).abs().max() < 1e-5
    assert (whole - upscale_tensor(model, lr, tile=24, overlap=1)).abs().max() > 1e-4  # too little context


@pytest.fixture(scope="module")
def images():
    rng = np.random.default_rng(0)
    base = np.linspace(0, 255, 64 * 64 * 3).reshape(64, 64, 3)
    return [(f"img{i}", np.clip(base + rng.normal(0, 20, base.shape), 0, 255).astype(np.uint8)) for i in range(2)]


TINY_RRDBNET = ["model.arch=rrdbnet", "model.num_blocks=1", "model.channels=8", "model.growth=4",
                "data.patch_size=32", "data.batch_size=2", "data.val=null", "run.device=cpu", "run.progress=false",
                "run.log_every=1", "run.amp=off", "run.steps=2", "run.val_every=0", "run.ckpt_every=2"]


def test_rrdbnet_trains_saves_loads_and_is_evaluated(tmp_path, images):
    from srgan_lite.evaluation import evaluate
    from srgan_lite.inference import super_resolve
    from srgan_lite.training.config import make_config
    from srgan_lite.training.loop import train

    config = make_config("quick", "srresnet", TINY_RRDBNET)
    result = train(config, tmp_path / "run", train_images=images)
    assert [row["step"] for row in result.history] == [1, 2] and all(np.isfinite(r["loss_g"]) for r in result.history)
    model = load_generator(result.generator_path)
    assert isinstance(model, RRDBNet) and model.config == config.model and not model.training
    start = build_generator(config.model)  # trained: not the initial weights any more
    assert any(not torch.equal(v, start.state_dict()[k]) for k, v in model.state_dict().items())

    scores = evaluate(model, images, scale=4, device="cpu")
    assert scores.n_images == 2 and 5 < scores.psnr_y < 60
    assert evaluate(result.generator_path, images, scale=4, device="cpu").psnr_y == scores.psnr_y

    lr_image = images[0][1][:40, :36]
    whole = super_resolve(model, lr_image)
    assert whole.shape == (160, 144, 3)
    assert np.abs(super_resolve(model, lr_image, tile=16).astype(int) - whole).max() <= 1  # uint8 rounding


def test_run_init_of_another_arch_is_refused(tmp_path, images):
    from srgan_lite.models import srresnet
    from srgan_lite.training.config import make_config
    from srgan_lite.training.loop import Trainer

    weights = save_generator(srresnet(num_blocks=1, channels=8), tmp_path / "srresnet.safetensors")
    config = make_config("quick", "srresnet", [*TINY_RRDBNET, f"run.init={weights}"])
    with pytest.raises(ConfigError, match="model.arch=srresnet, but the config has model.arch=rrdbnet") as error:
        Trainer(config, tmp_path / "run", train_images=images)
    assert "\n" not in str(error.value)
    rrdb = save_generator(RRDBNet(config.model), tmp_path / "rrdbnet.safetensors")
    trainer = Trainer(make_config("quick", "srresnet", [*TINY_RRDBNET, f"run.init={rrdb}"]), tmp_path / "ok",
                      train_images=images)
    assert all(torch.equal(v, load_generator(rrdb).state_dict()[k]) for k, v in trainer.generator.state_dict().items())
