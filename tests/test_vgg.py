import urllib.error

import pytest
import torch
from torchvision.models import VGG19_Weights
from torchvision.models.vgg import cfgs, make_layers

from srgan_lite.errors import WeightsError
from srgan_lite.losses.vgg import VGG19_LAYERS, VGGFeatures


@pytest.fixture
def vgg_state(tmp_path):
    torch.manual_seed(0)
    state = {f"features.{k}": v for k, v in make_layers(cfgs["E"]).state_dict().items()}
    path = tmp_path / "vgg19_local.pth"
    torch.save(state, path)
    return state, path


def test_taps_are_relu2_2_and_relu5_4_of_torchvision_vgg19():
    from torchvision.models import vgg19

    features = vgg19(weights=None).features
    for name, index in (("relu2_2", 8), ("relu5_4", 35)):
        assert VGG19_LAYERS[name] == index
        assert isinstance(features[index], torch.nn.ReLU)
        assert isinstance(features[index - 1], torch.nn.Conv2d)
    # relu2_2 is followed by the 2nd max-pool, relu5_4 by the 5th: "before the i-th maxpooling layer"
    pools = [i for i, m in enumerate(features) if isinstance(m, torch.nn.MaxPool2d)]
    assert pools[1] == 9 and pools[4] == 36


def test_local_weights_load_and_are_frozen(vgg_state):
    state, path = vgg_state
    vgg = VGGFeatures(("vgg22", "vgg54"), weights=path)
    assert vgg.pretrained
    assert torch.equal(vgg.features[0].weight, state["features.0.weight"])
    assert all(not p.requires_grad for p in vgg.parameters())
    vgg.train()
    assert not vgg.training
    out = vgg(torch.rand(1, 3, 32, 32) * 2 - 1)
    assert out["relu2_2"].shape == (1, 128, 16, 16) and out["relu5_4"].shape == (1, 512, 2, 2)
    assert len(vgg.features) == 36  # truncated after relu5_4, before the 5th pool


def test_imagenet_loads_from_the_torch_hub_cache(vgg_state, tmp_path, monkeypatch):
    state, _ = vgg_state
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    cache = tmp_path / "torch" / "hub" / "checkpoints"
    cache.mkdir(parents=True)
    torch.save(state, cache / VGG19_Weights.IMAGENET1K_V1.url.rsplit("/", 1)[1])
    vgg = VGGFeatures(("vgg22",), weights="imagenet")
    assert torch.equal(vgg.features[2].weight, state["features.2.weight"])


def _offline(*args, **kwargs):
    raise urllib.error.URLError("no network")


def test_offline_imagenet_raises_unless_fallback_is_asked(monkeypatch):
    monkeypatch.setattr(type(VGG19_Weights.IMAGENET1K_V1), "get_state_dict", _offline)
    with pytest.raises(WeightsError, match="hub"):
        VGGFeatures(weights="imagenet")
    with pytest.warns(UserWarning, match="RANDOM"):
        vgg = VGGFeatures(weights="imagenet", allow_random_fallback=True)
    assert not vgg.pretrained


def test_bad_weight_files_and_layers(tmp_path):
    with pytest.raises(WeightsError, match="does not exist"):
        VGGFeatures(weights=tmp_path / "missing.pth")
    bad = tmp_path / "bad.pth"
    torch.save({"features.0.weight": torch.zeros(3)}, bad)
    with pytest.raises(WeightsError, match="do not fit"):
        VGGFeatures(weights=bad)
    with pytest.raises(WeightsError, match="unknown VGG19 layer"):
        VGGFeatures(("relu9_9",), weights=None)


def test_random_weights_warn():
    with pytest.warns(UserWarning, match="random weights"):
        VGGFeatures(weights=None)


def test_random_weights_use_torchvision_init_so_deep_features_do_not_vanish():
    torch.manual_seed(0)
    with pytest.warns(UserWarning, match="random weights"):
        vgg = VGGFeatures(("vgg54",), weights=None)
    x = torch.rand(2, 3, 64, 64) * 2 - 1
    out = vgg(x)["relu5_4"]
    assert out.std() > 1e-2  # PyTorch's default conv init gives ~5e-3 here
    assert (out[0] - out[1]).abs().mean() > 1e-3  # and depend on the input (default init: ~1e-7, a loss of ~1e-16)
