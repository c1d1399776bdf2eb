"""The evaluation protocol: literature numbers for bicubic, baselines, generators, output formats."""
import json
import math

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

import srgan_lite.models.pretrained
from srgan_lite.errors import ConfigError
from srgan_lite.evaluation.protocol import PROTOCOL, EvalResult, evaluate, format_results
from srgan_lite.models.srresnet import srresnet


class NearestGenerator(nn.Module):
    """LR [0, 1] -> nearest x4 upsampling in the generator's output range [-1, 1]."""

    def __init__(self):
        super().__init__()
        self.dummy = nn.Parameter(torch.zeros(()))

    def forward(self, x):
        return x.repeat_interleave(4, dim=2).repeat_interleave(4, dim=3) * 2 - 1 + self.dummy


@pytest.fixture
def images(make_image):
    return [("one", make_image(64, 72, 1)), ("two", make_image(50, 61, 2))]


def test_bicubic_on_set5_matches_the_literature(benchmark_root):
    # Table 2 of the SR literature (VDSR, EDSR, RCAN...): bicubic x4 on Set5 = 28.42 dB / 0.8104.
    result = evaluate("bicubic", "Set5", data_dir=benchmark_root, device="cpu")
    assert result.n_images == 5 and result.dataset == "Set5" and result.model == "bicubic"
    assert abs(result.psnr_y - 28.42) < 0.02 and abs(result.ssim_y - 0.8104) < 0.002
    assert result.protocol == PROTOCOL and [row["name"] for row in result.per_image][0] == "baby"


def test_single_channel_images_are_scored_on_gray_values(benchmark_root, tmp_path):
    # Set14 bridge is stored with one channel; MATLAB scripts score it without rgb2ycbcr. Scoring it
    # as RGB would add 20 log10(255/219) = 1.32 dB (and 0.09 dB to the Set14 mean: 26.09, not 26.00).
    gray = np.asarray(Image.open(benchmark_root / "Set14" / "HR" / "bridge.png"))[:160, :160]
    assert gray.ndim == 2
    as_gray = evaluate("bicubic", [("bridge", gray)], device="cpu")
    as_rgb = evaluate("bicubic", [("bridge", np.repeat(gray[..., None], 3, 2))], device="cpu")
    assert as_gray.per_image[0]["grayscale"] and not as_rgb.per_image[0]["grayscale"]
    assert as_rgb.psnr_y - as_gray.psnr_y == pytest.approx(20 * math.log10(255 / 219), abs=2e-3)
    Image.fromarray(gray, "L").save(tmp_path / "bridge.png")
    from_folder = evaluate("bicubic", tmp_path, device="cpu")  # a mode-L file is read as gray
    assert from_folder.dataset == tmp_path.name and from_folder.per_image[0]["grayscale"]
    assert from_folder.psnr_y == pytest.approx(as_gray.psnr_y, abs=1e-9)


def test_baselines_rank_as_expected(images):
    nearest, bicubic = (evaluate(m, images, device="cpu") for m in ("nearest", "bicubic"))
    assert bicubic.psnr_y > nearest.psnr_y and bicubic.ssim_y > nearest.ssim_y


def test_generator_path_matches_the_baseline(images):
    # A module whose output is nearest upsampling in [-1, 1] must score exactly like "nearest".
    module = evaluate(NearestGenerator(), images, device="cpu")
    baseline = evaluate("nearest", images, device="cpu")
    assert module.model == "NearestGenerator" and module.dataset == "custom"
    assert module.psnr_y == pytest.approx(baseline.psnr_y, abs=1e-9)
    assert module.ssim_y == pytest.approx(baseline.ssim_y, abs=1e-9)
    assert [row["height"] for row in module.per_image] == [64, 48]  # mod-cropped to 4


def test_srresnet_runs_and_keeps_its_mode(images):
    torch.manual_seed(0)
    model = srresnet(num_blocks=1, channels=8).train()
    result = evaluate(model, images, device="cpu")
    assert model.training  # restored after evaluation
    assert result.n_images == 2 and all(math.isfinite(row["psnr_y"]) for row in result.per_image)
    assert 0 < result.ssim_y < 1 and result.seconds > 0


def test_registered_names_go_through_load_pretrained(monkeypatch, images):
    calls = []

    def fake_load(name, device="cpu"):
        calls.append(name)
        return NearestGenerator()

    monkeypatch.setattr(srgan_lite.models.pretrained, "load_pretrained", fake_load)
    result = evaluate("srresnet_x4", images, device="cpu")
    assert calls == ["srresnet_x4"] and result.model == "srresnet_x4"


def test_scale_mismatch_is_refused(images):
    with pytest.raises(ConfigError, match="x2"):
        evaluate(srresnet(scale=2, num_blocks=1, channels=8), images, device="cpu")


def test_save_images(tmp_path, images):
    evaluate("bicubic", images, device="cpu", save_images=tmp_path / "out")
    saved = np.asarray(Image.open(tmp_path / "out" / "two.png"))
    assert saved.shape == (48, 60, 3)


def test_format_results():
    per = [{"name": "a", "psnr_y": 30.0, "ssim_y": 0.9}]
    results = [EvalResult(d, m, p, s, 1, per, PROTOCOL, 4, 0.1)
               for d, m, p, s in (("Set5", "bicubic", 28.4237, 0.81041), ("Set5", "SRGAN", 29.4, 0.8472),
                                  ("Set14", "bicubic", 26.0, 0.7027))]
    table = format_results(results).splitlines()
    assert table[0].split() == ["Set", "Metric", "bicubic", "SRGAN"]
    assert table[2].split() == ["Set5", "PSNR", "28.42", "29.40"]
    assert table[5].split() == ["Set14", "SSIM", "0.7027", "-"]
    assert table[-1] == f"Protocol: {PROTOCOL}"
    one = json.loads(format_results(results[0], "json"))
    assert {"dataset", "model", "psnr_y", "ssim_y", "n_images", "per_image", "protocol"} <= set(one)
    assert len(json.loads(format_results(results, "json"))) == 3
    csv_lines = format_results(results, "csv").splitlines()
    assert csv_lines[0].startswith("dataset,model,psnr_y,ssim_y") and csv_lines[1].startswith("Set5,bicubic,28.4237,")
    with pytest.raises(ConfigError):
        format_results(results, "xml")


@pytest.fixture
def photo_crops():
    from skimage import data

    # one crop large enough for NIQE (two 96 px blocks after shaving) and the lattice rings, one too small for both
    return [("astronaut", data.astronaut()[:200, 100:396]), ("small", data.astronaut()[200:264, 200:272])]


def test_perceptual_measures_add_texture_lattice_and_niqe_and_leave_psnr_alone(photo_crops):
    plain = evaluate("bicubic", photo_crops, device="cpu")
    result = evaluate("bicubic", photo_crops, device="cpu", perceptual=True)
    for a, b in zip(plain.per_image, result.per_image):
        assert (a["psnr_y"], a["ssim_y"]) == (b["psnr_y"], b["ssim_y"])  # bit-identical
    big, small = result.per_image
    assert big["top_octave"] < 0.05 < big["mid_band"] < 1  # bicubic leaves the top octave empty
    assert abs(big["lattice_excess"]) < 0.3 and big["niqe"] > big["niqe_hr"]  # blur is less natural than HR
    assert all(math.isnan(small[k]) for k in ("lattice_excess", "niqe", "niqe_hr", "grid_score"))
    assert math.isfinite(small["top_octave"])
    # the set's means leave out what an image was too small for
    assert result.niqe == big["niqe"] and result.niqe_hr == big["niqe_hr"]
    assert result.lattice_excess == big["lattice_excess"]
    assert result.top_octave == pytest.approx((big["top_octave"] + small["top_octave"]) / 2)


def test_table_prints_the_new_measures_beside_hr(photo_crops, tmp_path, capsys):
    from srgan_lite.cli import main

    folder = tmp_path / "crops"
    folder.mkdir()
    Image.fromarray(photo_crops[0][1]).save(folder / "astronaut.png")
    assert main(["eval", "--model", "bicubic", "--dataset", str(folder)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["Set", "Metric", "bicubic", "HR"]
    rows = {line.split()[1]: line.split()[2:] for line in lines[2:] if line.startswith("crops")}
    assert rows["PSNR"][1] == "-" and rows["TopOct"][1] == "1.000" and rows["MidBand"][1] == "1.000"
    assert rows["Lattice"][1] == "+0.00" and rows["Grid"][1] == "1.0"
    assert float(rows["NIQE"][0]) > float(rows["NIQE"][1]) > 0  # HR's own NIQE beside the bicubic one
    assert float(rows["TopOct"][0]) < 0.05
    assert "NIQE: Mittal et al. 2013" in lines[-1]


def test_csv_and_json_carry_the_new_measures(photo_crops):
    result = evaluate("bicubic", photo_crops[:1], device="cpu", perceptual=True)
    header = format_results([result], "csv").splitlines()[0].split(",")
    assert {"top_octave", "mid_band", "lattice_excess", "niqe", "niqe_hr"} <= set(header)
    one = json.loads(format_results(result, "json"))
    assert one["niqe_hr"] == result.niqe_hr and "lattice_excess" in one["per_image"][0]
