import json

import pytest
import torch

from srgan_lite import save_generator, srresnet
from srgan_lite.errors import WeightsError
from srgan_lite.models import RRDBNet, rrdbnet
from srgan_lite.models import pretrained as weights
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
