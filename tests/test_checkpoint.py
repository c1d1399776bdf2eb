import pickle

import pytest
import torch

from srgan_lite import load_checkpoint, load_generator, save_checkpoint, save_generator, srresnet
from srgan_lite.errors import CheckpointError, WeightsError
from srgan_lite.models import RRDBNet, SRResNet, rrdbnet


def test_safetensors_round_trip_is_exact(tmp_path):
    torch.manual_seed(0)
    model = srresnet(scale=2, num_blocks=2, channels=16)
    path = save_generator(model, tmp_path / "g.safetensors")
    loaded = load_generator(path)
    assert loaded.config == model.config
    for (name, a), (_, b) in zip(model.state_dict().items(), loaded.state_dict().items()):
        assert torch.equal(a, b), name
    x = torch.rand(1, 3, 8, 8)
    assert torch.equal(model.eval()(x), loaded(x))


def test_rrdbnet_round_trip_rebuilds_the_arch_from_the_metadata(tmp_path):
    from safetensors import safe_open

    torch.manual_seed(0)
    model = rrdbnet(scale=2, num_blocks=1, channels=8, growth=4)
    path = save_generator(model, tmp_path / "rrdb.safetensors")
    with safe_open(str(path), "pt") as f:
        metadata = f.metadata()
    assert metadata["architecture"] == "rrdbnet" and '"arch": "rrdbnet"' in metadata["config"]
    loaded = load_generator(path)
    assert isinstance(loaded, RRDBNet) and loaded.config == model.config and not loaded.training
    x = torch.rand(1, 3, 6, 5)
    assert torch.equal(model.eval()(x), loaded(x))


def _resave(path, tensors, metadata):
    from safetensors.torch import save_file

    save_file(tensors, str(path), metadata=metadata)
    return path


def test_files_without_arch_are_srresnets_and_contradictions_are_refused(tmp_path):
    """The shipped fp16 files predate ``arch``: their config has no such field, and is an SRResNet's."""
    from srgan_lite.models.checkpoint import read_generator_file

    torch.manual_seed(0)
    model = srresnet(scale=2, num_blocks=1, channels=8)
    tensors, _ = read_generator_file(save_generator(model, tmp_path / "g.safetensors"))
    legacy = {"format": "srgan_lite", "config": '{"scale": 2, "num_blocks": 1, "channels": 8, "batch_norm": true, "icnr": true}'}
    for name, metadata in (("old.safetensors", {**legacy, "architecture": "srresnet"}), ("older.safetensors", legacy)):
        loaded = load_generator(_resave(tmp_path / name, tensors, metadata))
        assert isinstance(loaded, SRResNet) and loaded.config == model.config
    bad = _resave(tmp_path / "bad.safetensors", tensors, {"architecture": "rrdbnet", "config": '{"arch": "srresnet"}'})
    with pytest.raises(WeightsError, match="bad.safetensors is inconsistent: .*architecture='rrdbnet'.*arch='srresnet'"):
        load_generator(bad)
    future = _resave(tmp_path / "future.safetensors", tensors, {"architecture": "edsr", "config": "{}"})
    with pytest.raises(WeightsError, match="future.safetensors has a generator config this srgan_lite cannot build"):
        load_generator(future)


def test_saving_a_network_without_config_is_refused(tmp_path):
    with pytest.raises(WeightsError, match=r"cannot save Conv2d to .*x.safetensors: save_generator needs"):
        save_generator(torch.nn.Conv2d(3, 3, 3), tmp_path / "x.safetensors")


def test_fp16_export_is_small_and_close(tmp_path):
    model = srresnet()
    path = save_generator(model, tmp_path / "g16.safetensors", dtype=torch.float16, metadata={"name": "test"})
    assert path.stat().st_size < 3.5e6  # 1.55 M parameters x 2 bytes
    loaded = load_generator(path)
    assert next(loaded.parameters()).dtype == torch.float32
    x = torch.rand(1, 3, 8, 8)
    assert (model.eval()(x) - loaded(x)).abs().max() < 5e-2


def test_other_architecture_is_a_clear_error(tmp_path):
    path = save_generator(srresnet(num_blocks=4), tmp_path / "g.safetensors")
    from srgan_lite.models.checkpoint import load_state_dict_strict, read_generator_file

    tensors, _ = read_generator_file(path)
    with pytest.raises(WeightsError, match="g.safetensors does not fit SRResNet.*missing"):
        load_state_dict_strict(srresnet(num_blocks=8), tensors, str(path))
    with pytest.raises(WeightsError, match="another shape"):
        load_state_dict_strict(srresnet(num_blocks=4, channels=32), tensors, str(path))


def test_corrupt_and_missing_weights_files(tmp_path):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not a safetensors file at all")
    with pytest.raises(WeightsError, match="bad.safetensors"):
        load_generator(bad)
    with pytest.raises(WeightsError, match="does not exist"):
        load_generator(tmp_path / "nope.safetensors")


def test_checkpoint_round_trip_is_atomic(tmp_path):
    path = tmp_path / "run" / "ckpt.pt"
    state = {"step": 3, "model": {"w": torch.arange(4.0)}, "config": {"lr": 1e-4, "name": "x"}, "rng": torch.get_rng_state()}
    save_checkpoint(state, path)
    assert [p.name for p in path.parent.iterdir()] == ["ckpt.pt"]  # no temp file left behind
    loaded = load_checkpoint(path)
    assert loaded["step"] == 3 and torch.equal(loaded["model"]["w"], state["model"]["w"])


def test_failed_write_keeps_previous_checkpoint(tmp_path):
    path = tmp_path / "ckpt.pt"
    save_checkpoint({"step": 1}, path)

    class Boom:
        def __reduce__(self):
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        save_checkpoint({"step": 2, "bad": Boom()}, path)
    assert load_checkpoint(path)["step"] == 1
    assert len(list(tmp_path.iterdir())) == 1


class Payload:
    pass


def test_pickled_objects_are_refused(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"step": 1, "payload": Payload()}, path)  # an arbitrary object: unpickling it could run code
    with pytest.raises(CheckpointError, match="refusing to load"):
        load_checkpoint(path)
    raw = tmp_path / "raw.pt"
    raw.write_bytes(pickle.dumps({"x": 1}) + b"garbage")
    with pytest.raises(CheckpointError, match="raw.pt"):
        load_checkpoint(raw)
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path / "missing.pt")


def _training_checkpoint(path, model, step):
    return save_checkpoint({"step": step, "config": {"model": model.config.to_dict()}, "generator": model.state_dict()}, path)


def test_average_checkpoints_is_the_mean_of_the_generators(tmp_path):
    from srgan_lite import average_checkpoints

    torch.manual_seed(0)
    models = [srresnet(scale=2, num_blocks=2, channels=8) for _ in range(3)]
    for i, m in enumerate(models):
        m.train()(torch.rand(2, 3, 8, 8))  # different BatchNorm running statistics and counters
        for _ in range(i):
            m(torch.rand(2, 3, 8, 8))
    paths = [_training_checkpoint(tmp_path / f"step_{i}.pt", m, i) for i, m in enumerate(models)]
    averaged = average_checkpoints(paths)
    assert averaged.config == models[0].config and not averaged.training
    states = [m.state_dict() for m in models]
    for name, value in averaged.state_dict().items():
        if value.is_floating_point():
            expected = torch.stack([s[name] for s in states]).mean(0)
            assert torch.allclose(value, expected, atol=1e-6), name
        else:
            assert torch.equal(value, states[-1][name]), name  # BatchNorm's batch counter: the last one's
    assert any(not torch.equal(averaged.state_dict()[n], s[n]) for s in states for n in s if s[n].is_floating_point())


def test_average_checkpoints_of_an_rrdbnet_run(tmp_path):
    from srgan_lite import average_checkpoints

    torch.manual_seed(0)
    models = [rrdbnet(scale=2, num_blocks=1, channels=8, growth=4) for _ in range(2)]
    paths = [_training_checkpoint(tmp_path / f"step_{i}.pt", m, i) for i, m in enumerate(models)]
    averaged = average_checkpoints(paths)
    assert isinstance(averaged, RRDBNet) and averaged.config == models[0].config
    states = [m.state_dict() for m in models]
    for name, value in averaged.state_dict().items():
        torch.testing.assert_close(value, (states[0][name] + states[1][name]) / 2, rtol=0, atol=1e-7)


def test_average_checkpoints_refuses_mixed_or_missing_generators(tmp_path):
    from srgan_lite import average_checkpoints

    a = _training_checkpoint(tmp_path / "a.pt", srresnet(scale=2, num_blocks=2, channels=8), 1)
    b = _training_checkpoint(tmp_path / "b.pt", srresnet(scale=2, num_blocks=3, channels=8), 2)
    with pytest.raises(CheckpointError, match="b.pt is of another generator"):
        average_checkpoints([a, b])
    c = _training_checkpoint(tmp_path / "c.pt", rrdbnet(scale=2, num_blocks=2, channels=8), 3)
    with pytest.raises(CheckpointError, match=r"c.pt is of another generator \(.*arch='rrdbnet'.*\) than .*a.pt") as error:
        average_checkpoints([a, c])
    assert "\n" not in str(error.value)
    no_g = save_checkpoint({"step": 1}, tmp_path / "no_g.pt")
    with pytest.raises(CheckpointError, match="no_g.pt has no 'generator'"):
        average_checkpoints([no_g])
    with pytest.raises(CheckpointError, match="at least one"):
        average_checkpoints([])
