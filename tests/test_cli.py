"""The command line: thin wrappers that print one-line errors instead of tracebacks."""
import json

import numpy as np
import pytest
from PIL import Image

from srgan_lite import save_generator, srresnet
from srgan_lite.cli import main


@pytest.fixture
def tiny_weights(tmp_path):
    return save_generator(srresnet(num_blocks=1, channels=8), tmp_path / "tiny.safetensors")


@pytest.fixture
def photo(tmp_path):
    from skimage import data

    path = tmp_path / "chelsea.png"
    Image.fromarray(data.chelsea()[:40, :52]).save(path)
    return path


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_upscale_writes_4x_image(capsys, tmp_path, tiny_weights, photo):
    code, out, err = run(capsys, "upscale", photo, "--weights", tiny_weights, "-o", tmp_path / "out", "--tile", "16")
    assert code == 0, err
    result = Image.open(tmp_path / "out" / "chelsea_x4.png")
    assert result.size == (208, 160) and result.mode == "RGB"


def test_upscale_accepts_grayscale_and_rgba(capsys, tmp_path, tiny_weights):
    for mode, shape in (("L", (10, 12)), ("RGBA", (10, 12, 4))):
        path = tmp_path / f"img_{mode}.png"
        Image.fromarray(np.full(shape, 100, np.uint8), mode).save(path)
        code, _, err = run(capsys, "upscale", path, "--weights", tiny_weights, "-o", tmp_path / f"{mode}.png")
        assert code == 0, err
        assert Image.open(tmp_path / f"{mode}.png").size == (48, 40)


def test_unknown_weights_name_is_one_line(capsys, photo):
    code, out, err = run(capsys, "upscale", photo, "--weights", "no_such_weights")
    assert code == 2
    assert err.count("\n") == 1 and "unknown weights 'no_such_weights'" in err and "Traceback" not in err


def test_weights_of_another_architecture(capsys, tmp_path, photo):
    import torch
    from safetensors.torch import save_file

    other = tmp_path / "other.safetensors"
    save_file({"features.0.weight": torch.zeros(4, 3, 3, 3)}, other)
    code, _, err = run(capsys, "upscale", photo, "--weights", other)
    assert code == 2 and "other.safetensors does not fit SRResNet" in err and err.count("\n") == 1


def test_corrupt_image_is_named(capsys, tmp_path, tiny_weights):
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\nthis is not really a png")
    code, _, err = run(capsys, "upscale", bad, "--weights", tiny_weights)
    assert code == 2 and "broken.png" in err and err.count("\n") == 1


def test_missing_input(capsys, tmp_path, tiny_weights):
    code, _, err = run(capsys, "upscale", tmp_path / "nope.png", "--weights", tiny_weights)
    assert code == 2 and "nope.png does not exist" in err


def test_train_rejects_bad_options(capsys, tmp_path, monkeypatch):
    code, _, err = run(capsys, "train", "--out", tmp_path / "r", "--set", "optim.lr=-1")
    assert code == 2 and "optim.lr" in err and err.count("\n") == 1
    code, _, err = run(capsys, "train", "--out", tmp_path / "r", "--set", "run.wat=1")
    assert code == 2 and "unknown config key 'run.wat'" in err
    code, _, err = run(capsys, "train", "--out", tmp_path / "r", "--set", "data.workers=-3")
    assert code == 2 and "data.workers=-3 must be 0 or more" in err and err.count("\n") == 1
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # the same answer on a host with a GPU
    code, _, err = run(capsys, "train", "--out", tmp_path / "r", "--device", "cuda:0", "--steps", "1")
    assert code == 2 and "--device cuda:0: CUDA is not available" in err and err.count("\n") == 1
    assert not (tmp_path / "r" / "checkpoints").exists()


def test_paper_srgan_without_init_is_one_line_saying_what_to_pass(capsys, tmp_path):
    code, _, err = run(capsys, "train", "--profile", "paper", "--stage", "srgan", "--out", tmp_path / "p",
                       "--device", "cpu", "--set", "data.val=null")
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert "trained SRResNet" in err and "--init srresnet_x4" in err and ".safetensors" in err


def test_train_print_config(capsys):
    code, out, _ = run(capsys, "train", "--profile", "paper", "--stage", "srgan", "--out", "x", "--print-config",
                       "--set", "optim.lr=5e-5")
    assert code == 0 and "content: vgg54" in out and "lr: 5.0e-05" in out


def test_eval_json_on_a_folder(capsys, tmp_path):
    from skimage import data

    folder = tmp_path / "hr"
    folder.mkdir()
    Image.fromarray(data.astronaut()[:64, :68]).save(folder / "a.png")
    code, out, err = run(capsys, "eval", "--model", "bicubic", "--dataset", folder, "--format", "json")
    assert code == 0, err
    result = json.loads(out)
    assert {"dataset", "model", "psnr_y", "ssim_y", "n_images", "per_image", "protocol"} <= set(result)
    assert result["n_images"] == 1 and 15 < result["psnr_y"] < 50


def test_eval_missing_dataset(capsys, tmp_path):
    code, _, err = run(capsys, "eval", "--model", "bicubic", "--dataset", "Urban100", "--data-dir", tmp_path)
    assert code == 2 and "Urban100" in err and "Traceback" not in err


def test_upscale_memory_budget_and_precision(capsys, tmp_path, tiny_weights, photo):
    code, _, err = run(capsys, "upscale", photo, "--weights", tiny_weights, "-o", tmp_path / "a.png",
                       "--max-memory", "64MiB", "--precision", "bf16")
    assert code == 0, err
    assert Image.open(tmp_path / "a.png").size == (208, 160)
    code, _, err = run(capsys, "upscale", photo, "--weights", tiny_weights, "--max-memory", "2 parsecs")
    assert code == 2 and "--max-memory '2 parsecs'" in err and err.count("\n") == 1
    code, _, err = run(capsys, "upscale", photo, "--weights", tiny_weights, "--precision", "fp16")
    assert code == 2 and "--precision 'fp16' is unknown" in err and err.count("\n") == 1
