"""NIQE (Mittal et al. 2013) against BasicSR's port of the MATLAB release, on Set14."""
import importlib

import numpy as np
import pytest
import torch

from srgan_lite.data.convert import image_to_tensor
from srgan_lite.data.imresize import bicubic_degrade, imresize_uint8, modcrop
from srgan_lite.data.io import read_image
from srgan_lite.errors import ConfigError, WeightsError
from srgan_lite.evaluation.niqe import niqe, niqe_y

# the package re-exports the function niqe, which hides the module of the same name as an attribute
niqe_module = importlib.import_module("srgan_lite.evaluation.niqe")

#: BasicSR 1.4.2's ``calculate_niqe`` (basicsr/metrics/niqe.py from the PyPI sdist, run with NumPy 2.4, SciPy 1.17,
#: OpenCV 5.1, torch 2.13 CPU; only niqe.py and the modules it imports were loaded), per Set14 image:
#: (HR file as ``cv2.imread`` reads it, crop_border 0; bicubic x4 of the HR mod-cropped to 4, i.e.
#: ``imresize_uint8(bicubic_degrade(modcrop(hr, 4), 4), 4)`` passed as BGR, crop_border 4). ``bridge`` is stored
#: with one channel; cv2 reads it as three equal ones, so it is scored on Y in [16, 235] like the others.
BASICSR = {
    "baboon": (5.729573, 7.533760),
    "barbara": (4.583838, 7.112695),
    "bridge": (2.486399, 7.370681),
    "coastguard": (5.351189, 7.494976),
    "comic": (4.138836, 7.240779),
    "face": (8.492999, 9.779376),
    "flowers": (2.885721, 7.580836),
    "foreman": (5.935862, 7.869452),
    "lenna": (5.197132, 7.493237),
    "man": (3.662172, 7.031173),
    "monarch": (3.498779, 7.535325),
    "pepper": (7.063543, 7.561150),
    "ppt3": (5.447663, 7.407367),
    "zebra": (3.275905, 7.572994),
}
#: MATLAB R2021a's NIQE of baboon with the release's code, as BasicSR's docstring records it.
MATLAB_BABOON = 5.72957338


def _set14(benchmark_root):
    return {name: read_image(benchmark_root / "Set14" / "HR" / f"{name}.png") for name in BASICSR}


@pytest.mark.slow
def test_matches_basicsr_and_matlab_on_set14_hr(benchmark_root):
    ours = {name: float(niqe(image_to_tensor(hr).double())[0]) for name, hr in _set14(benchmark_root).items()}
    assert ours["baboon"] == pytest.approx(MATLAB_BABOON, abs=1e-4)
    for name, (reference, _) in BASICSR.items():
        assert ours[name] == pytest.approx(reference, abs=0.01), name


@pytest.mark.slow
def test_matches_basicsr_on_bicubic_upscales(benchmark_root):
    for name, hr in _set14(benchmark_root).items():
        sr = imresize_uint8(bicubic_degrade(modcrop(hr, 4), 4), 4)
        value = float(niqe(image_to_tensor(sr).double(), shave=4)[0])
        assert value == pytest.approx(BASICSR[name][1], abs=0.01), name
        assert value > BASICSR[name][0]  # blur is less natural than the original, on every image


def test_flat_blocks_leave_the_covariance_and_do_not_look_like_texture():
    # A flat half must not read as texture: its MSCN values are exact zeros, not float64 rounding residue.
    rng = np.random.default_rng(0)
    textured = rng.integers(60, 190, size=(192, 192)).astype(np.float64)
    half_flat = textured.copy()
    half_flat[:, 96:] = 128.0
    assert np.isfinite(niqe_y(textured)) and np.isfinite(niqe_y(half_flat))
    mscn = niqe_module._mscn(torch.from_numpy(half_flat))
    assert bool((mscn[:, 100:] == 0).all())
    assert np.isnan(niqe_y(np.full((192, 192), 100.0)))  # no textured block: undefined, not an error


def test_small_images_and_a_missing_model_are_one_line_errors(monkeypatch, tmp_path):
    with pytest.raises(ConfigError, match="two 96x96 blocks"):
        niqe_y(np.zeros((96, 150)))
    missing = tmp_path / "niqe_pris_params.npz"
    monkeypatch.setattr(niqe_module, "PARAMS_FILE", missing)
    niqe_module.pristine_model.cache_clear()
    try:
        with pytest.raises(WeightsError, match="niqe_pris_params.npz") as error:
            niqe_y(np.random.default_rng(0).integers(0, 255, (192, 192)))
        assert "\n" not in str(error.value)
    finally:
        niqe_module.pristine_model.cache_clear()
