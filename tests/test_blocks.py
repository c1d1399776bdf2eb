import torch

from srgan_lite import ResidualBlock, SubPixelUpsampler


def test_residual_block_is_identity_plus_body():
    torch.manual_seed(0)
    block = ResidualBlock(8).eval()
    x = torch.randn(2, 8, 5, 5)
    assert torch.allclose(block(x), x + block.body(x))
    kinds = [type(m).__name__ for m in block.body]
    assert kinds == ["Conv2d", "BatchNorm2d", "PReLU", "Conv2d", "BatchNorm2d"]
    assert [type(m).__name__ for m in ResidualBlock(8, batch_norm=False).body] == ["Conv2d", "PReLU", "Conv2d"]


def test_subpixel_shapes_and_paper_widths():
    up = SubPixelUpsampler(64, 2)
    assert up.conv.in_channels == 64 and up.conv.out_channels == 256  # conv 64 -> 256, then PixelShuffle(2)
    assert up(torch.rand(1, 64, 6, 7)).shape == (1, 64, 12, 14)


def test_icnr_initial_output_is_constant_on_every_2x2_block():
    torch.manual_seed(0)
    for r in (2, 3):
        up = SubPixelUpsampler(16, r, icnr=True)
        y = up(torch.randn(2, 16, 9, 9))
        blocks = y.unflatten(2, (9, r)).unflatten(4, (9, r))  # N, C, h, r, w, r
        spread = blocks.amax(dim=(3, 5)) - blocks.amin(dim=(3, 5))
        assert spread.abs().max() < 1e-6


def test_without_icnr_blocks_are_not_constant():
    torch.manual_seed(0)
    y = SubPixelUpsampler(16, 2, icnr=False)(torch.randn(1, 16, 9, 9))
    blocks = y.unflatten(2, (9, 2)).unflatten(4, (9, 2))
    assert (blocks.amax(dim=(3, 5)) - blocks.amin(dim=(3, 5))).abs().max() > 1e-3
