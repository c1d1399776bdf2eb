"""One texture as a data set (srgan_lite.data.textures) and the ``texture`` profile that trains on it."""
import numpy as np
import pytest

import srgan_lite as sl
from srgan_lite.data.textures import load_texture, same_lr_variants, texture_split, tiles
from srgan_lite.errors import ConfigError


def test_halves_do_not_overlap_and_tile_the_held_out_half():
    (_, train), (test_name, test) = texture_split("gravel")[0][0], texture_split("gravel")[1][0]
    whole = load_texture("gravel")
    assert train.ndim == 2 and train.shape == test.shape == (512, 256)
    np.testing.assert_array_equal(np.concatenate([train, test], axis=1), whole)  # left | right, nothing shared
    crops = tiles([(test_name, test)], 128)
    assert len(crops) == 8 and crops[5][0] == "gravel-right-2-1"
    np.testing.assert_array_equal(crops[5][1], test[256:384, 128:256])


def test_unknown_texture_and_bad_tiles_are_one_line_errors():
    with pytest.raises(ConfigError, match="texture 'sand' is unknown: choose grass, gravel, brick"):
        load_texture("sand")
    with pytest.raises(ConfigError, match="at least 600"):
        tiles(texture_split("brick")[1], 600)


def test_same_lr_variants_share_the_target_lr_but_keep_their_own_detail():
    crops = [c for _, c in tiles(texture_split("gravel")[1], 64)]
    target, others = crops[0], crops[1:5]
    variants = same_lr_variants(others, target)
    goal = sl.bicubic_degrade(target).astype(int)
    for variant, original in zip(variants, others):
        assert np.abs(sl.bicubic_degrade(variant).astype(int) - goal).max() <= 1  # one LR (up to rounding)
        assert np.abs(variant.astype(int) - target).mean() > 10  # yet a different HR patch
        assert variant.std() > 0.8 * original.std()  # with the patch's own contrast
    mean = np.mean([v.astype(float) for v in variants], axis=0)
    assert mean.std() < min(v.std() for v in variants)  # the pixel-wise mean is the blur of Fig. 3
    with pytest.raises(ConfigError, match="differs from the target"):
        same_lr_variants([crops[1][:32]], target)


def test_texture_profile_trains_on_the_left_half_and_validates_on_right_half_tiles(tmp_path):
    start = sl.train(sl.make_config("texture", "srresnet", ["run.steps=2", "run.device=cpu", "run.log_every=0"]),
                     tmp_path / "start")
    config = sl.make_config("texture", "srgan", ["run.steps=2", "run.device=cpu", "run.log_every=0", "run.val_every=2",
                                                  f"run.init={start.generator_path}", "data.batch_size=2"])
    result = sl.train(config, tmp_path / "gan")
    assert result.history[-1]["val_psnr"] > 15  # 8 grey tiles scored on their grey values
    g = sl.load_generator(result.generator_path)
    assert g.config.upsampler == "resize" and g.config.num_blocks == 6
    with pytest.raises(ConfigError, match="texture 'sand' is unknown"):
        sl.train(sl.make_config("texture", "srresnet", ["run.steps=1", "data.train=texture:sand"]), tmp_path / "bad")
