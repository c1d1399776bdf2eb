"""Helpers the chapters share: library source shown in a chapter, the paper's numbers, training histories."""
from __future__ import annotations

import inspect

import pytest

from srgan_lite import viz
from srgan_lite.errors import WeightsError
from srgan_lite.evaluation import paper
from srgan_lite.losses import content as losses
from srgan_lite.models import pretrained as weights


def test_show_source_by_object_and_by_name_is_the_source():
    by_object, by_name = viz.show_source(losses.pixel_mse), viz.show_source("losses.content.pixel_mse")
    assert repr(by_object) == repr(by_name)
    assert repr(by_name) == "# srgan_lite/losses/content.py: pixel_mse\n" + inspect.getsource(losses.pixel_mse).rstrip("\n")
    assert "<pre" in by_name._repr_html_() and "pixel_mse" in by_name._repr_html_()


def test_show_source_of_a_method_is_dedented_and_can_be_cut():
    part = viz.show_source("losses.perceptual.PerceptualLoss.forward", start="content =", stop="if self.phase_weight")
    text = repr(part).splitlines()
    assert text[0] == "# srgan_lite/losses/perceptual.py: PerceptualLoss.forward"
    assert text[1].startswith("content = ") and not any("phase_weight" in line for line in text)


def test_show_source_names_what_it_cannot_find():
    with pytest.raises(ValueError, match="nonexistent"):
        viz.show_source("nonexistent_module.thing")
    with pytest.raises(ValueError, match="no_such_line"):
        viz.show_source("losses.content.pixel_mse", start="no_such_line")


def test_paper_rows_for_our_models():
    assert paper.paper_score("Set5", "srgan_mse_x4") == paper.TABLE1["Set5"]["SRGAN-MSE"] == (30.64, 0.8701, 3.77)
    assert paper.paper_score("Set14", "srresnet_x4").psnr == 28.49
    # Table 1's MSE-trained SRResNet row is Table 2's SRResNet
    for dataset in ("Set5", "Set14"):
        assert paper.TABLE1[dataset]["SRResNet-MSE"] == paper.TABLE2[dataset]["SRResNet"]
        assert paper.TABLE1[dataset]["SRGAN-VGG54"] == paper.TABLE2[dataset]["SRGAN"]


def test_read_history_of_a_shipped_run_and_of_a_file(tmp_path):
    rows = weights.read_history("srresnet_x4")
    assert rows[-1]["step"] == 18000 and all(isinstance(v, float) for v in rows[-1].values())
    csv_file = tmp_path / "history.csv"
    csv_file.write_text("step,loss,val_psnr\n1,0.5,\n2,0.25,30.5\n")
    assert weights.read_history(csv_file) == [{"step": 1.0, "loss": 0.5}, {"step": 2.0, "loss": 0.25, "val_psnr": 30.5}]
    with pytest.raises(WeightsError, match="no training history"):
        weights.read_history(tmp_path / "missing.csv")


def test_plot_training_run_draws_one_unjoined_metric_line_per_stage():
    import matplotlib

    matplotlib.use("Agg")
    history = [{"step": s, "loss_g": 1.0 / s, "val_psnr": 25.0 + s if s <= 4 else 20.0 + s} for s in range(1, 9)]
    fig = viz.plot_training_run(history, segments={"first stage": 4, "second stage": 8})
    lines = [line for line in fig.axes[1].get_lines() if line.get_label() in ("first stage", "second stage")]
    assert [list(line.get_xdata()) for line in lines] == [[1, 2, 3, 4], [5, 6, 7, 8]]  # no line joins step 4 to 5
    single = viz.plot_training_run(history)
    assert [list(line.get_xdata()) for line in single.axes[1].get_lines()] == [list(range(1, 9))]
