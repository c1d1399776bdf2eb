"""Named benchmark and training sets: where they come from, where they live, how to fetch them.

The paper (Ledig et al. 2017, Sec. 3.1) evaluates on Set5, Set14 and BSD100 (BSD300's test set);
Urban100 and DIV2K are the later standard additions. Every set lives as ``<root>/<Name>/HR/*.png``
where ``<root>`` is ``data_dir``, else ``$SRGAN_LITE_DATA``, else ``~/.cache/srgan_lite``. Set5 and Set14
ship with the package (``srgan_lite/sets/<Name>/``: ``HR/``, ``LR_bicubic/X4/``, ``SOURCES.md`` with
their provenance and terms, ``SHA256SUMS``), so they resolve offline; a ``data_dir`` or
``$SRGAN_LITE_DATA`` that holds its own copy of one of them takes precedence.

Integrity: the DIV2K archives are checked against the SHA-256 that TensorFlow Datasets records for
them (``url_checksums/div2k.txt``). For the Set5/Set14/BSD100/Urban100 mirrors no published SHA-256
was found, so their entries hold ``sha256=None``: the download then prints the digest it got and
checks only that the expected number of images arrived. Any entry given a digest is verified.
"""
from __future__ import annotations

import importlib.resources
import os
import shutil
import tarfile
import tempfile
import urllib.request
import warnings
import zipfile
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image

from ..errors import DatasetError
from ..utils import sha256_file
from .io import list_images

ENV_VAR = "SRGAN_LITE_DATA"
_HF = "https://huggingface.co/datasets/eugenesiow/{0}/resolve/main/data/{0}_HR.tar.gz"
_DIV2K = "https://data.vision.ee.ethz.ch/cvl/DIV2K/{0}.zip"


@dataclass(frozen=True)
class DatasetInfo:
    """One registered set: its archive URL, the archive's SHA-256 (None = not on record), image count."""

    name: str
    url: str | None
    sha256: str | None
    n_images: int
    description: str


REGISTRY: dict[str, DatasetInfo] = {
    info.name: info
    for info in (
        DatasetInfo("Set5", _HF.format("Set5"), None, 5, "Bevilacqua et al. 2012; the paper's Table 2"),
        DatasetInfo("Set14", _HF.format("Set14"), None, 14, "Zeyde et al. 2010; the paper's Table 2"),
        DatasetInfo("BSD100", _HF.format("BSD100"), None, 100, "BSD300 test set (Martin et al. 2001); the paper's Table 2"),
        DatasetInfo("Urban100", _HF.format("Urban100"), None, 100, "Huang et al. 2015; urban scenes, regular structures"),
        DatasetInfo("DIV2K_train_HR", _DIV2K.format("DIV2K_train_HR"),
                    "9d0b9c463f6e35b6c62cc6a930ee2224f670b34c1df841a57670f9acf0f6c335", 800,
                    "NTIRE 2017 training set, 2K resolution (3.5 GB)"),
        DatasetInfo("DIV2K_valid_HR", _DIV2K.format("DIV2K_valid_HR"),
                    "20dd31fd84d777bc1cf5d6b7654a3f569c0aec74458ae094122ad1d0489900fc", 100,
                    "NTIRE 2017 validation set, 2K resolution (449 MB)"),
        DatasetInfo("skimage", None, None, 8, "color photographs shipped with scikit-image (offline)"),
    )
}
ALIASES = {"b100": "BSD100", "bsds100": "BSD100", "div2k": "DIV2K_train_HR"}
#: The sets shipped inside the package (``srgan_lite/sets/<Name>/HR``), about 6 MB of lossless PNG.
SHIPPED = ("Set5", "Set14")
#: (name, scikit-image loader) of the real color photographs bundled with scikit-image.
SKIMAGE_PHOTOS = (
    ("astronaut", "astronaut"), ("chelsea", "chelsea"), ("coffee", "coffee"), ("rocket", "rocket"),
    ("hubble_deep_field", "hubble_deep_field"), ("immunohistochemistry", "immunohistochemistry"),
    ("retina", "retina"), ("motorcycle", "stereo_motorcycle"),
)


def data_root(data_dir: str | os.PathLike | None = None) -> Path:
    """``data_dir``, else ``$SRGAN_LITE_DATA``, else ``~/.cache/srgan_lite``."""
    if data_dir is None:
        data_dir = os.environ.get(ENV_VAR) or Path.home() / ".cache" / "srgan_lite"
    return Path(data_dir).expanduser()


def canonical_name(name: str) -> str | None:
    """The registered spelling of a dataset name (case-insensitive, with aliases), or None."""
    lowered = name.lower()
    for key in REGISTRY:
        if key.lower() == lowered:
            return key
    return ALIASES.get(lowered)


def _has_images(folder: Path) -> bool:
    return folder.is_dir() and bool(list_images(folder, recursive=False))


def _local_folder(root: Path, name: str) -> Path:
    """``<root>/<Name>/HR``, accepting any capitalisation of ``<Name>`` already on disk."""
    exact = root / name / "HR"
    if exact.is_dir() or not root.is_dir():
        return exact
    for child in root.iterdir():
        if child.is_dir() and child.name.lower() == name.lower() and (child / "HR").is_dir():
            return child / "HR"
    return exact


def shipped_folder(name: str) -> Path:
    """The HR folder of a set shipped with the package (``srgan_lite/sets/<Name>/HR``), as a file path."""
    if name not in SHIPPED:
        raise DatasetError(f"{name} is not shipped with srgan_lite (only {', '.join(SHIPPED)} are)")
    return Path(str(importlib.resources.files("srgan_lite") / "sets" / name / "HR"))


def is_shipped(folder: str | os.PathLike) -> bool:
    """Whether a folder (e.g. what :func:`resolve_dataset` returned) is one of the package's own sets."""
    return any(Path(folder) == shipped_folder(name) for name in SHIPPED)


def _find(root: Path, name: str, data_dir) -> Path:
    """Where a registered set is: ``<root>/<Name>/HR``, or the shipped copy unless a chosen root holds one."""
    folder = _local_folder(root, name)
    chosen = data_dir is not None or bool(os.environ.get(ENV_VAR))  # the default cache never hides a shipped set
    if name in SHIPPED and not (chosen and _has_images(folder)):
        return shipped_folder(name)
    return folder


def _layout_hint(root: Path, name: str) -> str:
    return f"put the HR images in {root / name / 'HR'}/ (layout <data-dir>/<Name>/HR/*.png; set --data-dir or ${ENV_VAR})"


def resolve_dataset(name_or_folder: str | os.PathLike, data_dir: str | os.PathLike | None = None, download: bool = False) -> Path:
    """The folder of HR images for a registered name (any case) or an existing folder.

    A folder holding an ``HR`` sub-folder resolves to that sub-folder. Set5 and Set14 resolve to the
    copies shipped with the package unless ``data_dir`` or ``$SRGAN_LITE_DATA`` holds the set.

    Raises:
        DatasetError: unknown name and no such folder, or a registered set that is not on disk
            (and ``download`` is False), with the command and the layout that fix it.
    """
    root = data_root(data_dir)
    name = canonical_name(str(name_or_folder)) if isinstance(name_or_folder, str) else None
    if name is not None:
        folder = _find(root, name, data_dir)
        if _has_images(folder):
            return folder
        if name == "skimage" or download:
            return _download(name, data_dir)
        raise DatasetError(
            f"dataset {name} is not in {root}: run `srgan-lite data download {name}`, or {_layout_hint(root, name)}"
        )
    path = Path(name_or_folder).expanduser()
    if path.is_dir():
        return path / "HR" if (path / "HR").is_dir() else path
    known = ", ".join(REGISTRY)
    raise DatasetError(f"{name_or_folder!r} is neither a dataset name ({known}) nor an existing folder")


def _fetch(url: str, target: Path, timeout: float) -> None:
    with urllib.request.urlopen(url, timeout=timeout) as response, open(target, "wb") as f:
        shutil.copyfileobj(response, f, length=1 << 20)


def _extract(archive: Path, into: Path) -> None:
    into = into.resolve()
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as z:
            for member in z.namelist():
                if not (into / member).resolve().is_relative_to(into):
                    raise DatasetError(f"{archive} contains an unsafe path {member!r}; nothing was installed")
            z.extractall(into)
    elif tarfile.is_tarfile(archive):
        with tarfile.open(archive) as t:
            if hasattr(tarfile, "data_filter"):
                t.extractall(into, filter="data")
            else:  # Python without extraction filters: check paths by hand
                for member in t.getmembers():
                    if not (into / member.name).resolve().is_relative_to(into) or member.issym() or member.islnk():
                        raise DatasetError(f"{archive} contains an unsafe member {member.name!r}; nothing was installed")
                t.extractall(into)
    else:
        raise DatasetError(f"{archive} is neither a zip nor a tar archive; nothing was installed")


def _image_folder(tree: Path) -> Path:
    """The folder under ``tree`` that holds the most images (where an archive keeps its HR set)."""
    counts: dict[Path, int] = {}
    for path in list_images(tree):
        counts[path.parent] = counts.get(path.parent, 0) + 1
    if not counts:
        raise DatasetError(f"the archive extracted into {tree} holds no images; nothing was installed")
    return max(counts, key=lambda p: (counts[p], -len(p.parts)))


def _save_skimage(target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".skimage.", dir=target.parent))
    try:
        for name, image in skimage_photos():
            Image.fromarray(image).save(tmp / f"{name}.png", compress_level=1)
        os.replace(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def download(name: str, data_dir: str | os.PathLike | None = None, *, timeout: float = 60.0) -> Path:
    """Download, verify (SHA-256 when on record) and unpack a registered set into ``<root>/<Name>/HR``.

    The archive is fetched and unpacked in a temporary folder inside ``<root>`` and the HR folder
    is renamed into place only when everything succeeded, so an interrupted download leaves
    nothing half-installed. Returns the HR folder (at once if it already holds images).
    """
    canonical = canonical_name(name)
    if canonical is None:
        raise DatasetError(f"unknown dataset {name!r}: choose one of {', '.join(REGISTRY)}")
    info, root = REGISTRY[canonical], data_root(data_dir)
    target = root / canonical / "HR"
    if _has_images(target):
        return target
    if target.is_dir():
        target.rmdir()  # an empty leftover; a non-empty one without images makes rmdir fail loudly
    root.mkdir(parents=True, exist_ok=True)
    if info.url is None:
        return _save_skimage(target)
    work = Path(tempfile.mkdtemp(prefix=f".{canonical}.download.", dir=root))
    try:
        archive = work / Path(info.url).name
        try:
            _fetch(info.url, archive, timeout)
        except (OSError, ValueError) as exc:  # URLError, HTTPError, timeouts are OSErrors
            raise DatasetError(
                f"cannot download {canonical} from {info.url} ({getattr(exc, 'reason', exc)}); offline? {_layout_hint(root, canonical)}"
            ) from None
        digest = sha256_file(archive)
        if info.sha256 is None:
            warnings.warn(f"no SHA-256 on record for {canonical}: integrity not checked (got {digest})", stacklevel=2)
        elif digest != info.sha256.lower():
            raise DatasetError(
                f"{info.url} has SHA-256 {digest}, expected {info.sha256}: corrupt or changed download, nothing was installed"
            )
        _extract(archive, work / "unpacked")
        source = _image_folder(work / "unpacked")
        images = list_images(source, recursive=False)
        if len(images) != info.n_images:
            warnings.warn(f"{canonical}: expected {info.n_images} images, the archive holds {len(images)}", stacklevel=2)
        target.parent.mkdir(exist_ok=True)
        os.replace(source, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


_download = download  # resolve_dataset's ``download`` argument shadows the function's name


@lru_cache(maxsize=1)
def _skimage_photos() -> tuple[tuple[str, np.ndarray], ...]:
    import skimage.data

    photos = []
    for name, loader in SKIMAGE_PHOTOS:
        try:
            image = getattr(skimage.data, loader)()
        except Exception:  # a build of scikit-image without that file: skip it
            continue
        image = image[0] if isinstance(image, tuple) else image  # stereo_motorcycle: (left, right, disparity)
        image = np.ascontiguousarray(image[..., :3].astype(np.uint8))
        image.setflags(write=False)
        photos.append((name, image))
    return tuple(photos)


def skimage_photos() -> list[tuple[str, np.ndarray]]:
    """The real color photographs bundled with scikit-image (offline), as (name, RGB uint8), all >= 300 px.

    astronaut, chelsea, coffee, rocket, hubble_deep_field, immunohistochemistry, retina and the
    left view of stereo_motorcycle; decoded once per process, returned as fresh copies.
    """
    photos = [(name, image.copy()) for name, image in _skimage_photos()]
    if not photos:
        raise DatasetError("scikit-image ships none of its sample photographs in this installation")
    return photos


def list_datasets(data_dir: str | os.PathLike | None = None) -> list[dict]:
    """Every registered set as a dict: name, url, sha256, n_images, description, path, available."""
    root = data_root(data_dir)
    rows = []
    for info in REGISTRY.values():
        folder = _find(root, info.name, data_dir)
        rows.append({**asdict(info), "path": str(folder), "available": _has_images(folder) or info.url is None})
    return rows
