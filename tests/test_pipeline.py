"""The device pipeline yields the loader's training pairs bit for bit (srgan_lite.data.device_crops)."""
import numpy as np
import pytest
import torch

from srgan_lite.data.crops import HRCropDataset, degrade_margin
from srgan_lite.data.device_crops import DeviceCropStream
from srgan_lite.data.imresize import bicubic_degrade, modcrop, weight_matrix
from srgan_lite.errors import ConfigError
from srgan_lite.training import distributed as ddp
from srgan_lite.training.loop import PositionStream, StepSampler


@pytest.fixture
def images(make_image):
    """Sizes that are not multiples of 4, one exactly the patch high (every crop touches a border), one grey."""
    grey = make_image(61, 45, seed=3)[:, :, 1]
    return [("a", make_image(70, 83, seed=0)), ("b", make_image(32, 101, seed=1)), ("c", make_image(47, 38, seed=2)),
            ("grey", grey)]


def loader_batch(dataset: HRCropDataset, seed: int, positions) -> tuple[torch.Tensor, torch.Tensor]:
    stream = PositionStream(dataset, seed)
    pairs = [stream[p] for p in positions]
    return torch.stack([lr for lr, _ in pairs]), torch.stack([hr for _, hr in pairs])


@pytest.mark.parametrize("scale", [2, 3, 4, 8])
@pytest.mark.parametrize("height, width", [(40, 52), (36, 36), (64, 24), (8, 12)])
def test_degrading_a_replicate_padded_image_is_matlabs_border_handling(make_image, height, width, scale):
    image = modcrop(make_image(height, width, seed=height), scale)
    m = degrade_margin(scale)
    padded = np.pad(image, ((m, m), (m, m), (0, 0)), mode="edge")
    assert np.array_equal(bicubic_degrade(padded, scale)[m // scale:-(m // scale), m // scale:-(m // scale)],
                          bicubic_degrade(image, scale))


def test_float64_error_cannot_change_a_rounded_pixel():
    # At x2, x4, x8 the weights are dyadic (k / 2^bits), so float64 sums of uint8 values are exact ...
    for scale, bits in ((2, 10), (4, 12), (8, 16)):
        window = 96 + 2 * degrade_margin(scale)
        matrix = weight_matrix(window, window // scale, 1.0 / scale) * 2.0**bits
        assert np.array_equal(matrix, np.round(matrix))
    # ... at x3 they are k / 81 (cubic(1/3)/3 = 21/81, ...): an exact sum is a multiple of 1/81, at least 1/162
    # from a rounding tie, far beyond float64's error, so any summation order rounds to the same uint8.
    window = 96 + 2 * degrade_margin(3)
    matrix = weight_matrix(window, window // 3, 1.0 / 3) * 81
    np.testing.assert_allclose(matrix, np.round(matrix), rtol=0, atol=1e-12)


@pytest.mark.parametrize("augment", [False, True])
@pytest.mark.parametrize("scale, patch", [(4, 32), (2, 32), (3, 24), (8, 24)])
def test_device_stream_equals_the_loader(images, augment, scale, patch):
    seed = 7
    stream = DeviceCropStream(images, patch_size=patch, scale=scale, augment=augment, seed=seed, device="cpu")
    positions = list(range(0, 48)) + [10**6 + 5, 123_457]
    lr_image, hr_image = stream.batch(positions)
    lr_loader, hr_loader = loader_batch(HRCropDataset(images, patch_size=patch, scale=scale, augment=augment), seed, positions)
    assert lr_image.shape == lr_loader.shape == (len(positions), 3, patch // scale, patch // scale)
    assert hr_image.dtype == lr_image.dtype == torch.float32
    assert torch.equal(lr_image, lr_loader) and torch.equal(hr_image, hr_loader)
    assert lr_image.min() >= 0 and hr_image.min() >= -1 and hr_image.min() < 0  # LR [0, 1], HR [-1, 1]
    # the crops cover every border: top/left at 0 and at the last position of the mod-cropped image
    draws = stream.draws(positions)
    sizes = [modcrop(stream_image, scale).shape[:2] for _, stream_image in images]
    assert any(top == 0 for _, top, _, *_ in draws) and any(left == 0 for _, _, left, *_ in draws)
    assert any(top + patch == sizes[i][0] for i, top, _, *_ in draws if i != 1)
    assert any(left + patch == sizes[i][1] for i, _, left, *_ in draws)
    if augment:
        assert len({tuple(d[3:]) for d in draws}) == 8  # all dihedral cases seen


def test_from_dataset_keeps_the_virtual_epoch_and_hr_range(images):
    dataset = HRCropDataset(images, patch_size=24, scale=4, length=10, hr_range="unit")
    stream = DeviceCropStream.from_dataset(dataset, seed=3, device="cpu")
    positions = [0, 9, 10, 31, 77]
    lr_image, hr_image = stream.batch(positions)
    lr_loader, hr_loader = loader_batch(dataset, 3, positions)
    assert torch.equal(lr_image, lr_loader) and torch.equal(hr_image, hr_loader) and hr_image.min() >= 0
    assert "4 images" in repr(stream)


def test_the_cap_is_one_line_that_names_it_and_the_way_out(images):
    with pytest.raises(ConfigError) as error:
        DeviceCropStream(images, patch_size=32, seed=0, device="cpu", max_bytes=10_000)
    message = str(error.value)
    assert "\n" not in message and "max_bytes" in message and "data.pipeline=loader" in message
    fits = DeviceCropStream(images, patch_size=32, seed=0, device="cpu", max_bytes=10**6)
    assert 0 < fits.nbytes <= 10**6


def test_ddp_ranks_take_disjoint_slices_of_each_step(images):
    stream = DeviceCropStream(images, patch_size=32, seed=1, device="cpu")
    single = list(stream.batches(0, 3, 4))
    ranks = [list(stream.batches(0, 3, 4, ddp.Dist(rank=r, world_size=2))) for r in range(2)]
    for step in range(3):
        lr_image = torch.cat([ranks[0][step][0], ranks[1][step][0]])
        hr_image = torch.cat([ranks[0][step][1], ranks[1][step][1]])
        assert lr_image.shape[0] == 4 and torch.equal(lr_image, single[step][0]) and torch.equal(hr_image, single[step][1])
    # rank 1's second step is exactly what StepSampler gives that rank, through the loader
    info = ddp.Dist(rank=1, world_size=2)
    positions = list(StepSampler(0, 3, 4, info))[2:4]
    lr_loader, hr_loader = loader_batch(HRCropDataset(images, patch_size=32), 1, positions)
    assert torch.equal(ranks[1][1][0], lr_loader) and torch.equal(ranks[1][1][1], hr_loader)
    with pytest.raises(ConfigError, match="divisible"):
        next(stream.batches(0, 3, 5, ddp.Dist(rank=0, world_size=2)))


def test_resume_continues_the_same_stream(images):
    stream = DeviceCropStream(images, patch_size=32, seed=5, device="cpu")
    whole = list(stream.batches(0, 5, 3, memory_format=torch.channels_last))
    resumed = list(DeviceCropStream(images, patch_size=32, seed=5, device="cpu").batches(3, 5, 3))
    assert len(resumed) == 2 and all(torch.equal(a[0], b[0]) and torch.equal(a[1], b[1]) for a, b in zip(whole[3:], resumed))
    assert whole[0][1].is_contiguous(memory_format=torch.channels_last)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("scale, patch", [(4, 32), (3, 24)])  # x3: weights k/81, not dyadic
def test_cuda_stream_equals_the_cpu_stream(images, scale, patch):
    cpu = DeviceCropStream(images, patch_size=patch, scale=scale, seed=2, device="cpu").batch(range(64))
    cuda = DeviceCropStream(images, patch_size=patch, scale=scale, seed=2, device="cuda").batch(range(64))
    assert torch.equal(cpu[0], cuda[0].cpu()) and torch.equal(cpu[1], cuda[1].cpu())


def test_a_resumed_device_pipeline_run_matches_an_uninterrupted_loader_run(tmp_path, images):
    from srgan_lite.training.config import make_config
    from srgan_lite.training.loop import train

    tiny = ["model.num_blocks=2", "model.channels=16", "data.patch_size=32", "data.batch_size=4", "data.val=null",
            "run.device=cpu", "run.progress=false", "run.log_every=1", "run.amp=off", "run.steps=6", "run.val_every=0"]
    full = train(make_config("quick", "srresnet", [*tiny, "run.ckpt_every=6"]), tmp_path / "loader", train_images=images)
    config = make_config("quick", "srresnet", [*tiny, "run.ckpt_every=3", "data.pipeline=device"])
    train(config, tmp_path / "device", train_images=images)
    (tmp_path / "device" / "checkpoints" / "step_00000006.pt").unlink()  # as if it died after the step-3 checkpoint
    resumed = train(config, tmp_path / "device", resume=True, train_images=images)
    assert [r["loss_g"] for r in resumed.history] == [r["loss_g"] for r in full.history] and len(full.history) == 6
