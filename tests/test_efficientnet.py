"""EfficientNet-Lite0: the offline ImageNet network behind the ``lite0`` content loss and the feature distance."""
import numpy as np
import pytest
import skimage.data
import torch
from PIL import Image

from srgan_lite.data.convert import image_to_tensor, unit_to_signed
from srgan_lite.errors import WeightsError
from srgan_lite.losses.efficientnet import STAGES, TAPS, EfficientNetLite0, default_weights_path


def _imagenet_input(image: np.ndarray) -> torch.Tensor:
    return unit_to_signed(image_to_tensor(np.asarray(Image.fromarray(image).resize((224, 224), Image.BICUBIC))))


@pytest.fixture(scope="module")
def classifier():
    return EfficientNetLite0(classifier=True)


def test_shipped_weights_classify_real_photographs(classifier):
    """The package's weights file, loaded offline with weights_only=True, recognises a cat and an espresso."""
    with torch.no_grad():
        cat = classifier.logits(_imagenet_input(skimage.data.chelsea())).softmax(1)
        coffee = classifier.logits(_imagenet_input(skimage.data.coffee())).softmax(1)
    assert int(cat.argmax()) in range(281, 286)  # ImageNet's domestic cat classes (285: Egyptian cat)
    assert int(coffee.argmax()) in (967, 968)  # espresso, cup
    assert float(cat.max()) > 0.5 and float(coffee.max()) > 0.5


def test_stage_table_gives_sixteen_blocks_and_the_paper_strides():
    assert sum(repeats for *_, repeats in STAGES) == 16
    assert TAPS["stem"] == (2, 32) and TAPS["b8.expand"] == (16, 480) and TAPS["b15.out"] == (32, 320)
    net = EfficientNetLite0(("b2.expand", "b8.expand"))
    assert len(net._blocks) == 9  # truncated after the deepest tap
    out = net(torch.zeros(1, 3, 96, 96))
    assert out["b2.expand"].shape == (1, 144, 24, 24) and out["b8.expand"].shape == (1, 480, 6, 6)


def test_frozen_and_always_in_eval_mode():
    net = EfficientNetLite0(("b4.expand",), weights=None)
    net.train()
    assert not net.training and not any(p.requires_grad for p in net.parameters())


def test_bad_taps_and_files_are_one_line_errors(tmp_path):
    with pytest.raises(WeightsError, match="unknown EfficientNet-Lite0 tap"):
        EfficientNetLite0(("relu5_4",), weights=None)
    with pytest.raises(WeightsError, match="does not exist"):
        EfficientNetLite0(weights=tmp_path / "missing.pth")
    wrong = tmp_path / "wrong.pth"
    torch.save({"conv.weight": torch.zeros(1)}, wrong)
    with pytest.raises(WeightsError, match="is not an EfficientNet-Lite0 state dict"):
        EfficientNetLite0(weights=wrong)
    garbage = tmp_path / "garbage.pth"
    garbage.write_bytes(b"not a checkpoint")
    with pytest.raises(WeightsError, match="cannot read"):
        EfficientNetLite0(weights=garbage)
    assert default_weights_path().is_file()
