"""Dataset registry, the shipped Set5/Set14, folder resolution and downloads, all offline (file:// URLs, mocked urlopen)."""
import dataclasses
import fnmatch
import hashlib
import io
import tarfile
import urllib.error
import zipfile
from pathlib import Path

import numpy as np
import pytest
import tomllib
from PIL import Image

from srgan_lite.data import datasets
from srgan_lite.data.datasets import (
    SHIPPED,
    data_root,
    download,
    is_shipped,
    list_datasets,
    resolve_dataset,
    sha256_file,
    shipped_folder,
    skimage_photos,
)
from srgan_lite.errors import DatasetError


def _png_bytes(seed: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(seed).integers(0, 256, (8, 8, 3), dtype=np.uint8)).save(buffer, "PNG")
    return buffer.getvalue()


def _tar(path, members: dict[str, bytes]):
    with tarfile.open(path, "w:gz") as t:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return path


def _register(monkeypatch, archive, sha256, n_images=3, name="Set5"):
    entry = dataclasses.replace(datasets.REGISTRY[name], url=archive.as_uri(), sha256=sha256, n_images=n_images)
    monkeypatch.setitem(datasets.REGISTRY, name, entry)


@pytest.fixture
def archive(tmp_path):
    members = {f"Set5_HR/img_{i}.png": _png_bytes(i) for i in range(3)}
    members["Set5_HR/readme.txt"] = b"not an image"
    return _tar(tmp_path / "Set5_HR.tar.gz", members)


def test_data_root_precedence(monkeypatch, tmp_path):
    monkeypatch.setenv("SRGAN_LITE_DATA", str(tmp_path / "env"))
    assert data_root(tmp_path / "arg") == tmp_path / "arg"
    assert data_root() == tmp_path / "env"
    monkeypatch.delenv("SRGAN_LITE_DATA")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert data_root() == tmp_path / "home" / ".cache" / "srgan_lite"


def test_resolve_names_case_insensitively(tmp_path):
    (tmp_path / "set14" / "HR").mkdir(parents=True)  # folder spelled differently on disk
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "set14" / "HR" / "x.png")
    for spelling in ("Set14", "SET14", "set14"):
        assert resolve_dataset(spelling, tmp_path) == tmp_path / "set14" / "HR"
    assert resolve_dataset(tmp_path / "set14", tmp_path) == tmp_path / "set14" / "HR"  # folder with HR/
    assert resolve_dataset(str(tmp_path / "set14" / "HR")) == tmp_path / "set14" / "HR"


@pytest.mark.parametrize("name, n_images", [("Set5", 5), ("Set14", 14)])
def test_shipped_sets_match_their_sha256sums(name, n_images):
    root = shipped_folder(name).parent
    sums = dict(reversed(line.split(maxsplit=1)) for line in (root / "SHA256SUMS").read_text().splitlines())
    on_disk = sorted(str(p.relative_to(root)) for p in root.rglob("*.png"))
    assert sorted(sums) == on_disk and len(on_disk) == 2 * n_images  # HR/ and LR_bicubic/X4/, nothing else
    for relative, digest in sums.items():
        assert sha256_file(root / relative) == digest, f"{name}/{relative} differs from SHA256SUMS"
    assert "License / terms" in (root / "SOURCES.md").read_text()


def test_shipped_files_are_package_data():
    with open(Path(datasets.__file__).parents[2] / "pyproject.toml", "rb") as f:
        patterns = tomllib.load(f)["tool"]["setuptools"]["package-data"]["srgan_lite"]
    package = Path(datasets.__file__).parent
    for path in (package / "sets").rglob("*"):
        if path.is_file():
            assert any(fnmatch.fnmatch(str(path.relative_to(package)), p) for p in patterns), path


def test_shipped_sets_resolve_without_data_dir_or_env(monkeypatch, tmp_path):
    monkeypatch.delenv("SRGAN_LITE_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # an empty default cache
    for name in SHIPPED:
        folder = resolve_dataset(name.lower())
        assert folder == shipped_folder(name) and is_shipped(folder) and len(list(folder.glob("*.png"))) >= 5
    assert resolve_dataset("Set5", download=True) == shipped_folder("Set5")  # nothing to download
    assert not (tmp_path / "home").exists()
    assert not is_shipped(tmp_path)


def test_a_chosen_root_with_the_set_takes_precedence(monkeypatch, tmp_path):
    (tmp_path / "mine" / "Set5" / "HR").mkdir(parents=True)
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "mine" / "Set5" / "HR" / "x.png")
    monkeypatch.delenv("SRGAN_LITE_DATA", raising=False)
    assert resolve_dataset("Set5", tmp_path / "mine") == tmp_path / "mine" / "Set5" / "HR"
    assert resolve_dataset("Set14", tmp_path / "mine") == shipped_folder("Set14")  # not there: the shipped copy
    monkeypatch.setenv("SRGAN_LITE_DATA", str(tmp_path / "mine"))
    assert resolve_dataset("Set5") == tmp_path / "mine" / "Set5" / "HR"
    assert resolve_dataset("Set5", tmp_path / "empty") == shipped_folder("Set5")


def test_missing_dataset_explains_the_fix(tmp_path):
    with pytest.raises(DatasetError, match="srgan-lite data download BSD100") as info:
        resolve_dataset("b100", tmp_path)
    assert str(tmp_path / "BSD100" / "HR") in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(DatasetError, match="neither a dataset name"):
        resolve_dataset("Set6", tmp_path)


def test_download_verifies_sha256_and_installs(monkeypatch, tmp_path, archive):
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    _register(monkeypatch, archive, digest)
    root = tmp_path / "root"
    target = download("set5", root)
    assert target == root / "Set5" / "HR"
    assert sorted(p.name for p in target.iterdir()) == ["img_0.png", "img_1.png", "img_2.png", "readme.txt"]
    assert [p.name for p in root.iterdir()] == ["Set5"]  # no temporary leftovers
    assert resolve_dataset("Set5", root) == target
    assert download("Set5", root) == target  # already there: nothing fetched


def test_download_rejects_a_wrong_sha256(monkeypatch, tmp_path, archive):
    _register(monkeypatch, archive, "0" * 64)
    root = tmp_path / "root"
    with pytest.raises(DatasetError, match="expected 0000"):
        download("Set5", root)
    assert list(root.iterdir()) == []  # nothing installed, nothing left behind


def test_download_without_sha256_warns_with_the_digest(monkeypatch, tmp_path, archive):
    _register(monkeypatch, archive, None, n_images=5, name="BSD100")
    with pytest.warns(UserWarning) as record:
        resolve_dataset("BSD100", tmp_path, download=True)
    messages = " ".join(str(w.message) for w in record)
    assert hashlib.sha256(archive.read_bytes()).hexdigest() in messages
    assert "expected 5 images, the archive holds 3" in messages


def test_download_zip(monkeypatch, tmp_path):
    path = tmp_path / "DIV2K_valid_HR.zip"
    with zipfile.ZipFile(path, "w") as z:
        for i in range(2):
            z.writestr(f"DIV2K_valid_HR/08{i:02d}.png", _png_bytes(i))
    _register(monkeypatch, path, hashlib.sha256(path.read_bytes()).hexdigest(), 2, "DIV2K_valid_HR")
    target = download("DIV2K_valid_HR", tmp_path / "root")
    assert sorted(p.name for p in target.iterdir()) == ["0800.png", "0801.png"]


def test_download_refuses_unsafe_archives(monkeypatch, tmp_path):
    path = tmp_path / "evil.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("../../escape.png", _png_bytes(0))
    _register(monkeypatch, path, None)
    with pytest.raises(DatasetError, match="unsafe"), pytest.warns(UserWarning):
        download("Set5", tmp_path / "root")
    assert not (tmp_path / "escape.png").exists()


def test_offline_download_names_url_and_layout(monkeypatch, tmp_path):
    def offline(url, timeout):
        raise urllib.error.URLError("Temporary failure in name resolution")

    monkeypatch.setattr(datasets.urllib.request, "urlopen", offline)
    with pytest.raises(DatasetError) as info:
        download("Urban100", tmp_path)
    message = str(info.value)
    assert datasets.REGISTRY["Urban100"].url in message and "name resolution" in message
    assert str(tmp_path / "Urban100" / "HR") in message and "\n" not in message
    assert list(tmp_path.iterdir()) == []  # nothing installed, nothing left behind


def test_skimage_photos_are_colour_photographs():
    photos = skimage_photos()
    assert len(photos) >= 6 and len({n for n, _ in photos}) == len(photos)
    for name, image in photos:
        assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3, name
        assert min(image.shape[:2]) >= 96, name
        assert np.abs(image[..., 0].astype(int) - image[..., 1]).mean() > 1, f"{name} looks grey"


def test_skimage_resolves_to_a_folder(tmp_path):
    folder = resolve_dataset("skimage", tmp_path)
    assert folder == tmp_path / "skimage" / "HR" and len(list(folder.glob("*.png"))) == len(skimage_photos())


def test_list_datasets(tmp_path):
    rows = {row["name"]: row for row in list_datasets(tmp_path)}
    assert {"Set5", "Set14", "BSD100", "Urban100", "DIV2K_train_HR", "DIV2K_valid_HR", "skimage"} <= set(rows)
    assert rows["DIV2K_train_HR"]["sha256"].startswith("9d0b9c46") and rows["DIV2K_train_HR"]["n_images"] == 800
    assert not rows["BSD100"]["available"] and rows["skimage"]["available"]
    assert rows["Set5"]["available"] and rows["Set5"]["path"] == str(shipped_folder("Set5"))
