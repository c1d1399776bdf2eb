"""Image reading in every mode, folder listing, training crops, paired and evaluation sets."""
import warnings

import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.data import DataLoader

from srgan_lite.data.crops import (
    EvalImages,
    HRCropDataset,
    PairedDataset,
    augment_dihedral,
    extract_subimages,
    list_images,
    load_eval_images,
    read_image,
)
from srgan_lite.data.imresize import bicubic_degrade
from srgan_lite.errors import ConfigError, DatasetError, ImageReadError

GRAY = np.arange(0, 240, 10, dtype=np.uint8).reshape(4, 6)


def _write(tmp_path, name, image, **save):
    path = tmp_path / name
    image.save(path, **save)
    return path


MODE_CASES = {
    "L": (lambda: Image.fromarray(GRAY, "L"), "png", np.repeat(GRAY[..., None], 3, 2)),
    "1": (lambda: Image.fromarray(GRAY > 100), "png", np.repeat(((GRAY > 100) * 255).astype(np.uint8)[..., None], 3, 2)),
    "I;16": (lambda: Image.fromarray(GRAY.astype(np.uint16) * 257), "png", np.repeat(GRAY[..., None], 3, 2)),
    "I": (lambda: Image.fromarray(GRAY.astype(np.int32) * 257), "tiff", np.repeat(GRAY[..., None], 3, 2)),
    "F": (lambda: Image.fromarray(GRAY.astype(np.float32) / 255), "tiff", np.repeat(GRAY[..., None], 3, 2)),
    "CMYK": (lambda: Image.new("CMYK", (6, 4), (0, 0, 0, 0)), "tiff", np.full((4, 6, 3), 255, np.uint8)),
    "RGB": (lambda: Image.new("RGB", (6, 4), (10, 20, 30)), "png", np.tile(np.uint8([10, 20, 30]), (4, 6, 1))),
}


@pytest.mark.parametrize("mode", list(MODE_CASES))
def test_read_image_modes(tmp_path, mode):
    make, ext, expected = MODE_CASES[mode]
    path = _write(tmp_path, f"x.{ext}", make())
    image = read_image(path)
    assert image.dtype == np.uint8 and image.shape == (4, 6, 3)
    np.testing.assert_array_equal(image, expected)


def test_read_image_alpha_is_composited_onto_white(tmp_path):
    rgba = np.zeros((2, 2, 4), np.uint8)
    rgba[..., :3] = (200, 0, 0)
    rgba[..., 3] = [[255, 0], [128, 255]]
    image = read_image(_write(tmp_path, "a.png", Image.fromarray(rgba, "RGBA")))
    np.testing.assert_array_equal(image[0, 0], [200, 0, 0])  # opaque: unchanged
    np.testing.assert_array_equal(image[0, 1], [255, 255, 255])  # transparent: white
    np.testing.assert_array_equal(image[1, 0], [227, 127, 127])  # 200*128/255 + 255*127/255 = 227.4
    la = Image.fromarray(np.stack([GRAY, np.full_like(GRAY, 255)], 2), "LA")
    np.testing.assert_array_equal(read_image(_write(tmp_path, "la.png", la))[..., 1], GRAY)


def test_read_image_palette(tmp_path):
    pal = Image.new("P", (3, 2))
    pal.putpalette([0, 0, 0, 255, 0, 0, 0, 0, 255] + [0] * 759)
    pal.putdata([0, 1, 2, 2, 1, 0])
    image = read_image(_write(tmp_path, "p.png", pal))
    np.testing.assert_array_equal(image[0], [[0, 0, 0], [255, 0, 0], [0, 0, 255]])
    pal.info["transparency"] = 0  # index 0 transparent: white after compositing
    assert (read_image(_write(tmp_path, "pt.png", pal, transparency=0))[0, 0] == 255).all()


def test_read_image_keep_gray(tmp_path):
    path = _write(tmp_path, "g.png", Image.fromarray(GRAY, "L"))
    np.testing.assert_array_equal(read_image(path, keep_gray=True), GRAY)


def test_unreadable_files_name_the_file(tmp_path, image_folder):
    good = (image_folder / "a.png").read_bytes()
    truncated = tmp_path / "truncated.png"
    truncated.write_bytes(good[: len(good) // 2])
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    for path in (truncated, text, tmp_path / "missing.png"):
        with pytest.raises(ImageReadError, match=path.name):
            read_image(path)


def test_list_images(tmp_path):
    for name in ("b.PNG", "a.jpg", "c.JpEg", "sub/d.webp", "e.bmp", "f.TIF", "g.tiff", "notes.txt", ".hidden.png"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    assert [p.name for p in list_images(tmp_path)] == ["a.jpg", "b.PNG", "c.JpEg", "e.bmp", "f.TIF", "g.tiff", "d.webp"]
    assert "d.webp" not in [p.name for p in list_images(tmp_path, recursive=False)]
    with pytest.raises(DatasetError, match="nowhere"):
        list_images(tmp_path / "nowhere")


def test_crops_shapes_ranges_and_lr_degradation(image_folder):
    ds = HRCropDataset(image_folder, patch_size=48, scale=4, length=7)
    assert len(ds) == 7 and ds.cached
    lr, hr = ds[5]
    assert lr.shape == (3, 12, 12) and hr.shape == (3, 48, 48)
    assert lr.dtype == hr.dtype == torch.float32
    assert lr.min() >= 0 and lr.max() <= 1 and hr.min() >= -1 and hr.max() <= 1 and hr.min() < 0
    # The LR is close to the degradation of the bare HR crop, but not equal to it: its outer ring sees the
    # image around the crop (test_training_lr_equals_degrade_whole_image_then_crop checks the exact value).
    hr_uint8 = ((hr + 1) * 127.5).round().to(torch.uint8).permute(1, 2, 0).numpy()
    bare = bicubic_degrade(hr_uint8, 4).astype(int)
    lr_uint8 = (lr * 255).round().to(torch.uint8).permute(1, 2, 0).numpy().astype(int)
    assert np.abs(lr_uint8[3:-3, 3:-3] - bare[3:-3, 3:-3]).max() <= 1  # inside, only the two roundings may differ
    assert (lr_uint8 != bare).any()  # the outer ring sees the image around the crop
    unit = HRCropDataset(image_folder, patch_size=48, hr_range="unit")[0][1]
    assert unit.min() >= 0 and unit.max() <= 1
    with pytest.raises(IndexError):
        ds[7]


def test_crops_are_aligned_to_the_scale():
    y, x = np.mgrid[0:200, 0:220]
    coded = np.stack([y, x % 256, np.zeros_like(y)], 2).astype(np.uint8)  # pixel = (row, col)
    ds = HRCropDataset([("coded", coded)], patch_size=32, scale=4, augment=False, length=20)
    torch.manual_seed(0)
    for i in range(20):
        hr = ((ds[i][1] + 1) * 127.5).round().to(torch.int64)
        top, left = int(hr[0, 0, 0]), int(hr[1, 0, 0])
        assert top % 4 == 0 and left % 4 == 0
        assert int(hr[0, -1, 0]) == top + 31  # an unflipped, untransposed crop


def test_crops_are_reproducible_with_torch_seed(image_folder):
    ds = HRCropDataset(image_folder, patch_size=32, length=6)

    def run(seed):
        torch.manual_seed(seed)
        return torch.stack([ds[i][1] for i in range(6)])

    assert torch.equal(run(1), run(1))
    assert not torch.equal(run(1), run(2))
    torch.manual_seed(3)
    batch = next(iter(DataLoader(ds, batch_size=6, num_workers=0)))
    assert batch[0].shape == (6, 3, 8, 8) and batch[1].shape == (6, 3, 32, 32)


def test_dihedral_augmentation_covers_all_eight(tiny_rgb):
    torch.manual_seed(0)
    seen = {augment_dihedral(tiny_rgb[:32, :32]).tobytes() for _ in range(200)}
    assert len(seen) == 8


def test_small_images_skipped_with_one_warning(image_folder):
    Image.fromarray(np.zeros((40, 200, 3), np.uint8)).save(image_folder / "small.png")
    Image.fromarray(np.zeros((200, 50, 3), np.uint8)).save(image_folder / "thin.png")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = HRCropDataset(image_folder, patch_size=96)
    assert len(caught) == 1
    assert "small.png" in str(caught[0].message) and "thin.png" in str(caught[0].message)
    assert len(ds) == 3


def test_unreadable_training_image(image_folder):
    (image_folder / "broken.png").write_text("garbage")
    with pytest.raises(ImageReadError, match="broken.png"):
        HRCropDataset(image_folder, patch_size=32)
    ds = HRCropDataset(image_folder, patch_size=32, skip_unreadable=True)
    assert len(ds) == 3 and ds.skipped == [str(image_folder / "broken.png")]


def test_lazy_loading_without_cache(image_folder):
    ds = HRCropDataset(sorted(image_folder.glob("*.png")), patch_size=32, cache=False)
    assert not ds.cached and all(array is None for _, _, array in ds.items)
    assert ds[0][0].shape == (3, 8, 8)


def test_invalid_options(image_folder, tmp_path):
    with pytest.raises(ConfigError):
        HRCropDataset(image_folder, patch_size=30, scale=4)
    with pytest.raises(ConfigError):
        HRCropDataset(image_folder, hr_range="bytes")
    with pytest.raises(DatasetError), pytest.warns(UserWarning, match="smaller than patch_size=512"):
        HRCropDataset(image_folder, patch_size=512)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="no images"):
        HRCropDataset(tmp_path / "empty")


def test_paired_dataset(tmp_path, image_folder):
    lr_dir = tmp_path / "lr"
    lr_dir.mkdir()
    for path in image_folder.glob("*.png"):
        Image.fromarray(bicubic_degrade(read_image(path), 4)).save(lr_dir / path.name)
    pairs = PairedDataset(lr_dir, image_folder, scale=4)
    name, lr, hr = pairs[0]
    assert len(pairs) == 3 and name == "a" and lr.shape == (30, 25, 3) and hr.shape == (120, 100, 3)
    with pytest.raises(DatasetError, match="not x2"):
        PairedDataset(lr_dir, image_folder, scale=2)[0]
    (lr_dir / "a.png").unlink()
    with pytest.raises(DatasetError, match="'a'"):
        PairedDataset(lr_dir, image_folder)


def test_eval_images(tmp_path, image_folder):
    Image.fromarray(GRAY, "L").save(image_folder / "gray.png")
    images = load_eval_images(image_folder)
    assert [n for n, _ in images] == ["a", "b", "c", "gray"]
    assert images[0][1].shape == (120, 100, 3) and images[3][1].shape == (4, 6, 3)  # raw sizes, RGB
    lazy = EvalImages(image_folder, keep_gray=True)
    assert len(lazy) == 4 and lazy[3][1].shape == (4, 6) and len(lazy[1:3]) == 2
    assert load_eval_images([("x", GRAY)])[0][1].shape == (4, 6, 3)


def test_extract_subimages(tmp_path, make_image):
    src = tmp_path / "src"
    src.mkdir()
    image = make_image(100, 130)
    Image.fromarray(image).save(src / "big.png")
    count = extract_subimages(src, tmp_path / "dst", size=48, stride=40)
    # rows start at 0, 40, 52 (flush with the bottom); columns at 0, 40, 80, 82
    assert count == 12 and len(list((tmp_path / "dst").glob("*.png"))) == 12
    np.testing.assert_array_equal(read_image(tmp_path / "dst" / "big_s012.png"), image[52:100, 82:130])
    np.testing.assert_array_equal(read_image(tmp_path / "dst" / "big_s006.png"), image[40:88, 40:88])


def test_training_lr_equals_degrade_whole_image_then_crop():
    """Issue 17: each LR crop is what the benchmark degradation of the whole image gives there, borders included."""
    from srgan_lite.data.crops import degraded_crop
    from srgan_lite.data.imresize import bicubic_degrade

    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (100, 132, 3), dtype=np.uint8)  # noise: every pixel matters to the kernel
    whole = bicubic_degrade(image, 4)
    for top in range(0, 100 - 32 + 1, 4):
        for left in (0, 4, 48, 96, 100):
            hr, lr = degraded_crop(image, top, left, 32, 4)
            assert np.array_equal(hr, image[top:top + 32, left:left + 32])
            assert np.array_equal(lr, whole[top // 4:top // 4 + 8, left // 4:left // 4 + 8]), (top, left)
    # the old way (degrading the bare crop) differs on the outer ring: this is the bug the margin fixes
    inner = image[40:72, 48:80]
    assert not np.array_equal(bicubic_degrade(inner, 4), whole[10:18, 12:20])


def test_dataset_pairs_match_whole_image_degradation_under_augmentation():
    from srgan_lite.data.imresize import bicubic_degrade

    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (64, 80, 3), dtype=np.uint8)
    whole = bicubic_degrade(image, 4)
    ds = HRCropDataset([("noise", image)], patch_size=32, scale=4, augment=True, length=40)
    torch.manual_seed(0)
    found = 0
    for i in range(40):
        lr, hr = ds[i]
        hr_u8 = np.rint((hr.permute(1, 2, 0).numpy() + 1) * 127.5).astype(np.uint8)
        lr_u8 = np.rint(lr.permute(1, 2, 0).numpy() * 255).astype(np.uint8)
        # find the crop and the flip that produced it, then check the LR is the same view of `whole`
        for flags in [(a, b, c) for a in (0, 1) for b in (0, 1) for c in (0, 1)]:
            undone = _undo_dihedral(hr_u8, flags)
            hits = [(t, l) for t in range(0, 33, 4) for l in range(0, 49, 4) if np.array_equal(undone, image[t:t + 32, l:l + 32])]
            if hits:
                t, l = hits[0]
                assert np.array_equal(_undo_dihedral(lr_u8, flags), whole[t // 4:t // 4 + 8, l // 4:l // 4 + 8])
                found += 1
                break
    assert found == 40


def _undo_dihedral(image, flags):
    hflip, vflip, transpose = flags
    if transpose:
        image = image.transpose(1, 0, 2)
    if vflip:
        image = image[::-1]
    if hflip:
        image = image[:, ::-1]
    return image
