"""Batch transforms: image by image equal to the per-image transforms for the same offsets,
seeded, every layout and dtype, and clear errors."""
from __future__ import annotations

import pickle

import numpy as np
import pytest

import latte
from latte.tensor import Tensor
from latte.vision import transforms as T
from latte.vision.transforms import functional as F

RNG = np.random.default_rng(0)
U8 = RNG.integers(0, 256, (6, 3, 8, 10), dtype=np.uint8)
F32 = RNG.random((6, 3, 8, 10), dtype=np.float32)
N = len(U8)


def _offsets(high, seed=1):
    rng = np.random.default_rng(seed)
    return rng.integers(0, high[0], N), rng.integers(0, high[1], N)


@pytest.mark.parametrize("images", [U8, F32], ids=["uint8", "float32"])
@pytest.mark.parametrize("mode,fill", [("constant", 0), ("constant", 7), ("constant", (1, 2, 3)),
                                       ("reflect", 0), ("edge", 0), ("symmetric", 0)])
def test_crop_equals_per_image_pad_then_crop(images, mode, fill):
    padding, size = (3, 1, 2, 4), (7, 9)  # left, top, right, bottom: asymmetric on purpose
    top, left = _offsets((8 + 1 + 4 - 7 + 1, 10 + 3 + 2 - 9 + 1))
    out = T.batch_crop(images, top, left, size, padding, fill, mode)
    expected = np.stack([F.crop(F.pad(images[i], padding, fill, mode), top[i], left[i], *size)
                         for i in range(N)])
    assert out.dtype == images.dtype and out.shape == (N, 3, 7, 9)
    np.testing.assert_array_equal(out, expected)


def test_crop_equals_random_crop_for_its_offsets():
    # RandomCrop(8, padding=2) on one image draws (top, left); the batch crop at them agrees
    crop = T.RandomCrop((8, 10), padding=2, padding_mode="reflect")
    latte.manual_seed(3)
    per_image = [crop(Tensor(U8[i])).numpy() for i in range(N)]
    latte.manual_seed(3)
    params = [T.RandomCrop.get_params(F.pad(U8[i], 2), (8, 10)) for i in range(N)]
    top, left = np.array([p[0] for p in params]), np.array([p[1] for p in params])
    np.testing.assert_array_equal(T.batch_crop(U8, top, left, (8, 10), 2, 0, "reflect"),
                                  np.stack(per_image))


def test_hflip_equals_per_image_and_random_flip():
    mask = np.array([True, False, True, True, False, False])
    out = T.batch_hflip(F32, mask)
    for i in range(N):
        np.testing.assert_array_equal(out[i], F.hflip(F32[i]) if mask[i] else F32[i])
    np.testing.assert_array_equal(T.batch_random_hflip(U8, p=1.0), U8[..., ::-1])
    np.testing.assert_array_equal(T.batch_random_hflip(U8, p=0.0), U8)
    assert T.RandomHorizontalFlip(p=1.0)(Tensor(U8[0])).tolist() == \
        T.BatchRandomHorizontalFlip(p=1.0)(Tensor(U8)).tolist()[0]


@pytest.mark.parametrize("mode", ["constant", "reflect"])
def test_translate_moves_pixels(mode):
    dy, dx = np.array([0, 1, -2, 3, 0, -1]), np.array([0, 2, 1, -3, -1, 0])
    out = T.batch_translate(U8, dy, dx, padding_mode=mode)
    k = 3
    padded = np.pad(U8, ((0, 0), (0, 0), (k, k), (k, k)), mode=mode)
    for i in range(N):
        expected = padded[i, :, k - dy[i]:k - dy[i] + 8, k - dx[i]:k - dx[i] + 10]
        np.testing.assert_array_equal(out[i], expected)
    # out[y, x] = in[y - dy, x - dx] where that lies inside the image
    assert out[1, 0, 1, 2] == U8[1, 0, 0, 0] and out[2, 0, 0, 1] == U8[2, 0, 2, 0]
    if mode == "constant":
        assert (out[1, :, 0] == 0).all() and (out[1, :, :, :2] == 0).all()
    np.testing.assert_array_equal(T.batch_translate(U8, 0, 0), U8)


def test_channels_last_equals_channels_first():
    nhwc = np.ascontiguousarray(U8.transpose(0, 2, 3, 1))
    top, left = _offsets((5, 5))
    back = (lambda a: a.transpose(0, 3, 1, 2))
    np.testing.assert_array_equal(
        back(T.batch_crop(nhwc, top, left, (8, 10), 2, (1, 2, 3), channels_last=True)),
        T.batch_crop(U8, top, left, (8, 10), 2, (1, 2, 3)))
    mask = np.arange(N) % 2 == 0
    np.testing.assert_array_equal(back(T.batch_hflip(nhwc, mask, channels_last=True)),
                                  T.batch_hflip(U8, mask))
    np.testing.assert_array_equal(
        back(T.batch_translate(nhwc, left - 2, top - 2, padding_mode="reflect",
                               channels_last=True)),
        T.batch_translate(U8, left - 2, top - 2, padding_mode="reflect"))
    latte.manual_seed(0)
    a = T.BatchRandomCrop((8, 10), padding=2, channels_last=True)(nhwc)
    latte.manual_seed(0)
    np.testing.assert_array_equal(back(a), T.BatchRandomCrop((8, 10), padding=2)(U8))


def test_seeded_runs_repeat_and_each_image_draws_its_own_offset():
    tf = T.Compose([T.BatchRandomCrop((8, 10), padding=4), T.BatchRandomHorizontalFlip(),
                    T.BatchRandomTranslate(2, padding_mode="reflect")])
    latte.manual_seed(5)
    first = tf(U8)
    latte.manual_seed(5)
    np.testing.assert_array_equal(tf(U8), first)
    assert not np.array_equal(tf(U8), first)  # the generator moved on
    # one image repeated: different offsets give different crops within the batch
    same = np.repeat(U8[:1], 64, axis=0)
    crops = T.batch_random_crop(same, (8, 10), padding=4)
    assert len({c.tobytes() for c in crops}) > 20
    flips = T.batch_random_hflip(same)
    assert 0 < sum(np.array_equal(f, same[0]) for f in flips) < 64


def test_offsets_are_uniform_over_every_position():
    latte.manual_seed(0)
    marker = np.zeros((2000, 1, 3, 3), np.uint8)
    marker[:, :, 1, 1] = 1  # where the centre pixel lands says where the crop was taken
    out = T.batch_random_crop(marker, 3, padding=1)
    positions = [tuple(np.argwhere(o[0])[0]) if o.any() else None for o in out]
    counts = {p: positions.count(p) for p in set(positions)}
    assert set(counts) == {(y, x) for y in range(3) for x in range(3)}
    assert min(counts.values()) > 2000 / 9 * 0.7


def test_own_generator_leaves_the_default_alone():
    latte.manual_seed(0)
    state = latte.get_rng_state()
    g = latte.Generator().manual_seed(1)
    a = T.BatchRandomCrop((8, 10), padding=2, generator=g)(U8)
    b = T.BatchRandomCrop((8, 10), padding=2,
                          generator=latte.Generator().manual_seed(1))(U8)
    np.testing.assert_array_equal(a, b)
    assert latte.get_rng_state().tolist() == state.tolist()


def test_tensors_in_tensors_out_and_normalize():
    out = T.BatchRandomCrop((6, 6), padding=1)(Tensor(U8))
    assert isinstance(out, Tensor) and out.shape == (N, 3, 6, 6) and out.dtype == latte.uint8
    norm = T.BatchNormalize((0.5, 0.4, 0.3), (0.2, 0.25, 0.3))
    expected = np.stack([T.Normalize((0.5, 0.4, 0.3), (0.2, 0.25, 0.3))(
        T.ToTensor()(U8[i].transpose(1, 2, 0))).numpy() for i in range(N)])
    got = norm(Tensor(U8))
    assert got.dtype == latte.float32
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(norm(F32), (F32 - np.array([.5, .4, .3], np.float32)[:, None, None])
                               / np.array([.2, .25, .3], np.float32)[:, None, None], rtol=1e-5,
                               atol=1e-5)


def test_transforms_pickle_and_repr():
    for tf in (T.BatchRandomCrop(32, padding=4), T.BatchRandomHorizontalFlip(0.3),
               T.BatchRandomTranslate((1, 2), padding_mode="reflect"),
               T.BatchNormalize((0.5,), (0.5,))):
        again = pickle.loads(pickle.dumps(tf))
        assert repr(again) == repr(tf) and type(tf).__name__ in repr(tf)


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match=r"\(N, C, H, W\).*got shape \(3, 8, 10\)"):
        T.batch_random_crop(U8[0], 8, padding=2)
    with pytest.raises(ValueError, match=r"one value per image: shape \(6,\)"):
        T.batch_crop(U8, [0, 1], 0, (8, 10), 2)
    with pytest.raises(ValueError, match="out of range: image 0 at \\(top=5"):
        T.batch_crop(U8, 5, 0, (8, 10), 2)
    with pytest.raises(TypeError, match="must hold integers"):
        T.batch_crop(U8, np.zeros(N), 0, (8, 10), 2)
    with pytest.raises(ValueError, match="larger than the padded image"):
        T.batch_random_crop(U8, 20, padding=1)
    with pytest.raises(ValueError, match="padding_mode"):
        T.BatchRandomCrop(8, padding=1, padding_mode="wrap")
    with pytest.raises(ValueError, match="fill needs 1 or 3"):
        T.batch_crop(U8, 0, 0, (8, 10), 1, fill=(1, 2))
    with pytest.raises(ValueError, match="probability"):
        T.BatchRandomHorizontalFlip(1.5)
    with pytest.raises(ValueError, match="bool mask of shape \\(6,\\)"):
        T.batch_hflip(U8, np.ones(N))
    with pytest.raises(ValueError, match="non-negative"):
        T.BatchRandomTranslate(-1)
    with pytest.raises(TypeError, match="expected a Tensor or an array"):
        T.batch_random_hflip([[1, 2]])
