"""The paper's Fig. 4 pieces: the residual block (k3n64s1, BN, PReLU, k3n64s1, BN, skip) and the sub-pixel stage."""
import torch

from srgan_lite import ResidualBlock, SubPixelUpsampler, count_parameters


def _conv(k: int, c_in: int, c_out: int) -> int:
    return k * k * c_in * c_out + c_out  # weights + biases


def test_residual_block_has_the_papers_layers_and_parameter_count():
    block = ResidualBlock(64)
    kinds = [type(m).__name__ for m in block.body]
    assert kinds == ["Conv2d", "BatchNorm2d", "PReLU", "Conv2d", "BatchNorm2d"]
    convs = [m for m in block.body if isinstance(m, torch.nn.Conv2d)]
    assert [(c.kernel_size, c.out_channels, c.stride, c.padding) for c in convs] == [((3, 3), 64, (1, 1), (1, 1))] * 2
    # two k3n64s1 convs, two BatchNorms (gamma, beta) and one shared PReLU slope, counted from Fig. 4
    assert count_parameters(block) == 2 * _conv(3, 64, 64) + 2 * 2 * 64 + 1 == 74_113
    assert [type(m).__name__ for m in ResidualBlock(8, batch_norm=False).body] == ["Conv2d", "PReLU", "Conv2d"]


def test_residual_block_is_the_identity_when_its_branch_is_silenced():
    """The skip connection: with the last BN's gamma and beta at zero (or the last conv at zero without BN)
    the block passes its input through unchanged, whatever the other layers hold."""
    torch.manual_seed(0)
    x = torch.randn(2, 8, 5, 5)
    with_bn = ResidualBlock(8).eval()
    with_bn.body[1].running_mean.uniform_(-1, 1)  # arbitrary statistics in the first BN
    with torch.no_grad():
        torch.nn.init.zeros_(with_bn.body[-1].weight)
        torch.nn.init.zeros_(with_bn.body[-1].bias)
        without_bn = ResidualBlock(8, batch_norm=False)
        torch.nn.init.zeros_(without_bn.body[-1].weight)
        torch.nn.init.zeros_(without_bn.body[-1].bias)
        assert torch.equal(with_bn(x), x) and torch.equal(without_bn(x), x)
        assert not torch.allclose(ResidualBlock(8).eval()(x), x)  # a live branch changes it


def test_residual_block_keeps_the_shape_and_is_local():
    """3x3 convs at stride 1 with padding 1: same shape, and an output pixel sees at most 2 pixels away."""
    torch.manual_seed(0)
    block = ResidualBlock(4).eval()
    x = torch.randn(1, 4, 11, 11, requires_grad=True)
    out = block(x)
    assert out.shape == x.shape
    out[0, :, 5, 5].sum().backward()
    rows, cols = torch.nonzero(x.grad.abs().sum(dim=(0, 1)), as_tuple=True)
    assert (rows.min().item(), rows.max().item(), cols.min().item(), cols.max().item()) == (3, 7, 3, 7)


def test_subpixel_shapes_and_paper_widths():
    up = SubPixelUpsampler(64, 2)
    assert up.conv.in_channels == 64 and up.conv.out_channels == 256  # conv 64 -> 256, then PixelShuffle(2)
    assert count_parameters(up) == _conv(3, 64, 256) + 1 == 147_713  # + the PReLU slope
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
