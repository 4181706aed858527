"""Transforms against hand-computed results; PIL and tensor inputs agreeing; seeding; pickling."""
from __future__ import annotations

import pickle

import numpy as np
import pytest

import latte
from latte.tensor import Tensor
from latte.vision import transforms as T
from latte.vision.transforms import functional as F


def _t(arr):
    return Tensor(np.asarray(arr))


def _pil(arr):
    Image = pytest.importorskip("PIL.Image")
    arr = np.asarray(arr, dtype=np.uint8)
    return Image.fromarray(arr[0] if arr.shape[0] == 1 else arr.transpose(1, 2, 0))


def _pil_chw(img):
    arr = np.asarray(img)
    return arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1)


RGB = np.random.default_rng(0).integers(0, 256, (3, 6, 8), dtype=np.uint8)


# --- geometry: hand-computed ----------------------------------------------------------
def test_flips():
    x = np.arange(6, dtype=np.float32).reshape(1, 2, 3)
    assert F.hflip(_t(x)).tolist() == [[[2, 1, 0], [5, 4, 3]]]
    assert F.vflip(_t(x)).tolist() == [[[3, 4, 5], [0, 1, 2]]]
    assert T.RandomHorizontalFlip(p=1.0)(_t(x)).tolist() == [[[2, 1, 0], [5, 4, 3]]]
    assert T.RandomVerticalFlip(p=0.0)(_t(x)).tolist() == x.tolist()


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_rotate_90_is_rot90(interpolation):
    x = np.arange(16, dtype=np.float32).reshape(1, 4, 4)
    out = F.rotate(_t(x), 90, interpolation)
    np.testing.assert_allclose(out.numpy(), np.rot90(x, 1, axes=(1, 2)), atol=1e-5)
    out = F.rotate(_t(x), -90, interpolation)
    np.testing.assert_allclose(out.numpy(), np.rot90(x, -1, axes=(1, 2)), atol=1e-5)


def test_rotate_expand_swaps_height_and_width():
    x = np.arange(6, dtype=np.float32).reshape(1, 2, 3)
    out = F.rotate(_t(x), 90, expand=True)
    assert out.tolist() == [[[2, 5], [1, 4], [0, 3]]]


def test_rotate_pil_agrees_with_pillow_and_tensor():
    img = _pil(RGB[:, :6, :6])
    ours = F.rotate(img, 90)
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(img.rotate(90)))
    np.testing.assert_array_equal(_pil_chw(ours), F.rotate(_t(RGB[:, :6, :6]), 90).numpy())
    wide = _pil(RGB)
    np.testing.assert_array_equal(np.asarray(F.rotate(wide, 90, expand=True)),
                                  np.asarray(wide.rotate(90, expand=True)))


def _torch_warp(torch, x, matrix, mode):
    """torchvision's tensor path: its affine grid, then grid_sample with zero padding."""
    n, c, h, w = x.shape
    theta = torch.tensor(matrix, dtype=torch.float64).view(1, 2, 3)
    xs = torch.linspace(-w * 0.5 + 0.5, w * 0.5 - 0.5, steps=w, dtype=torch.float64)
    ys = torch.linspace(-h * 0.5 + 0.5, h * 0.5 - 0.5, steps=h, dtype=torch.float64)
    base = torch.ones(1, h, w, 3, dtype=torch.float64)
    base[..., 0] = xs
    base[..., 1] = ys[:, None]
    rescaled = theta.transpose(1, 2) / torch.tensor([0.5 * w, 0.5 * h], dtype=torch.float64)
    grid = base.view(1, h * w, 3).bmm(rescaled).view(1, h, w, 2)
    return torch.nn.functional.grid_sample(torch.from_numpy(x), grid.expand(n, h, w, 2),
                                           mode=mode, padding_mode="zeros",
                                           align_corners=False).numpy()


@pytest.mark.parametrize("angle,translate,scale,shear", [
    (30.0, (0.0, 0.0), 1.0, (0.0, 0.0)), (-17.0, (2.0, -1.0), 0.8, (10.0, 0.0)),
    (45.0, (1.0, 0.0), 1.3, (5.0, -8.0))])
def test_affine_bilinear_matches_torch_grid_sample(angle, translate, scale, shear):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(6).random((2, 3, 7, 9))
    matrix = F._inverse_affine_matrix([0.0, 0.0], angle, translate, scale, shear)
    ref = _torch_warp(torch, x, matrix, "bilinear")
    ours = F.affine(_t(x), angle, list(translate), scale, list(shear), "bilinear").numpy()
    np.testing.assert_allclose(ours, ref, atol=1e-10)


def test_affine_translation_and_fill():
    x = np.arange(1, 10, dtype=np.float32).reshape(1, 3, 3)
    out = F.affine(_t(x), angle=0.0, translate=[1, 0], scale=1.0, shear=[0.0, 0.0], fill=-1.0)
    assert out.tolist() == [[[-1, 1, 2], [-1, 4, 5], [-1, 7, 8]]]
    # torchvision's affine angle turns clockwise (rotate's is counter-clockwise)
    out = F.affine(_t(x), angle=90.0, translate=[0, 0], scale=1.0, shear=0.0)
    np.testing.assert_allclose(out.numpy(), np.rot90(x, -1, axes=(1, 2)), atol=1e-5)
    # scale 2 around the centre: the centre pixel fills the middle
    big = F.affine(_t(x), angle=0.0, translate=[0, 0], scale=3.0, shear=0.0)
    assert big.tolist() == [[[5, 5, 5], [5, 5, 5], [5, 5, 5]]]


def test_affine_batched_and_uint8():
    batch = np.stack([RGB, RGB[:, ::-1]])
    out = F.affine(_t(batch), angle=0.0, translate=[0, 2], scale=1.0, shear=0.0)
    assert out.dtype == latte.uint8 and tuple(out.shape) == (2, 3, 6, 8)
    np.testing.assert_array_equal(out.numpy()[:, :, 2:], batch[:, :, :-2])
    assert (out.numpy()[:, :, :2] == 0).all()


def test_known_crops_and_pil_agreement():
    x = np.arange(30, dtype=np.uint8).reshape(1, 5, 6)
    assert F.crop(_t(x), 1, 2, 2, 3).tolist() == [[[8, 9, 10], [14, 15, 16]]]
    # the odd margin (3 columns) goes right, as torchvision: int(round(1.5)) == 2
    assert F.center_crop(_t(x), 3).tolist() == [[[8, 9, 10], [14, 15, 16], [20, 21, 22]]]
    padded = F.center_crop(_t(x), (7, 6)).numpy()
    assert padded.shape == (1, 7, 6) and (padded[:, 0] == 0).all()
    np.testing.assert_array_equal(padded[:, 1:6], x)
    odd = F.center_crop(_t(x), (8, 6)).numpy()  # 3 rows of padding: 1 on top, 2 below
    np.testing.assert_array_equal(odd[:, 1:6], x)


def test_pad_modes():
    row = np.array([[[1, 2, 3]]], dtype=np.float32)
    assert F.pad(_t(row), [2, 0], padding_mode="reflect").tolist() == [[[3, 2, 1, 2, 3, 2, 1]]]
    assert F.pad(_t(row), [2, 0], padding_mode="symmetric").tolist() == [[[2, 1, 1, 2, 3, 3, 2]]]
    assert F.pad(_t(row), [2, 0], padding_mode="edge").tolist() == [[[1, 1, 1, 2, 3, 3, 3]]]
    assert F.pad(_t(row), [1, 0, 0, 0], fill=9).tolist() == [[[9, 1, 2, 3]]]
    assert tuple(F.pad(_t(row), 1).shape) == (1, 3, 5)
    coloured = F.pad(_t(np.zeros((3, 1, 1))), 1, fill=(1, 2, 3)).numpy()
    assert coloured[:, 0, 0].tolist() == [1, 2, 3] and coloured[:, 1, 1].tolist() == [0, 0, 0]
    with pytest.raises(ValueError, match="padding_mode"):
        F.pad(_t(row), 1, padding_mode="wrap")


def test_random_crop_is_a_window_of_the_padded_image():
    x = np.arange(25, dtype=np.float32).reshape(1, 5, 5)
    padded = F.pad(_t(x), 2, padding_mode="reflect").numpy()
    crop = T.RandomCrop(5, padding=2, padding_mode="reflect")
    for _ in range(10):
        out = crop(_t(x)).numpy()
        windows = np.lib.stride_tricks.sliding_window_view(padded, (5, 5), axis=(1, 2))
        assert any(np.array_equal(out, windows[:, i, j]) for i in range(5) for j in range(5))
    small = T.RandomCrop((7, 6), pad_if_needed=True)(_t(x))
    assert tuple(small.shape) == (1, 7, 6)
    with pytest.raises(ValueError, match="larger than input image size"):
        T.RandomCrop(6)(_t(x))


# --- resize, against PyTorch's interpolate as oracle -----------------------------------------
def test_resize_sizes():
    assert tuple(F.resize(_t(np.zeros((3, 40, 80), np.float32)), 20).shape) == (3, 20, 40)
    assert tuple(F.resize(_t(np.zeros((3, 80, 40), np.float32)), 20).shape) == (3, 40, 20)
    assert tuple(F.resize(_t(np.zeros((1, 10, 10), np.float32)), (4, 7)).shape) == (1, 4, 7)
    assert tuple(F.resize(_t(np.zeros((1, 10, 30), np.float32)), 5, max_size=10).shape) == \
        (1, 3, 10)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("size,antialias", [((9, 13), False), ((9, 13), True), ((3, 5), True),
                                            ((4, 3), False)])
def test_resize_matches_torch_interpolate(mode, size, antialias):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(1).random((2, 3, 6, 8), dtype=np.float32)
    ours = F.resize(_t(x), size, mode, antialias=antialias).numpy()
    ref = torch.nn.functional.interpolate(torch.from_numpy(x), size=size, mode=mode,
                                          align_corners=False, antialias=antialias).numpy()
    np.testing.assert_allclose(ours, ref, atol=1e-5)


def test_resize_nearest_matches_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(2).random((1, 2, 7, 5), dtype=np.float32)
    ours = F.resize(_t(x), (10, 3), "nearest").numpy()
    ref = torch.nn.functional.interpolate(torch.from_numpy(x), size=(10, 3), mode="nearest")
    np.testing.assert_array_equal(ours, ref.numpy())


def test_resize_uint8_pil_close_to_tensor():
    ours = F.resize(_t(RGB), (3, 4)).numpy().astype(int)
    pil = _pil_chw(F.resize(_pil(RGB), (3, 4))).astype(int)
    assert np.abs(ours - pil).max() <= 1  # pillow's fixed-point rounding


def test_random_resized_crop_shape_and_full_crop():
    x = np.random.default_rng(3).random((3, 20, 30), dtype=np.float32)
    out = T.RandomResizedCrop((8, 10))(_t(x))
    assert tuple(out.shape) == (3, 8, 10)
    whole = T.RandomResizedCrop((20, 30), scale=(1.0, 1.0), ratio=(1.5, 1.5))(_t(x))
    np.testing.assert_allclose(whole.numpy(), x, atol=1e-6)


# --- colour -------------------------------------------------------------------------------
def test_brightness_factor():
    x = np.array([[[0.2, 0.8]]], dtype=np.float32)
    np.testing.assert_allclose(F.adjust_brightness(_t(x), 0.5).numpy(), [[[0.1, 0.4]]])
    np.testing.assert_allclose(F.adjust_brightness(_t(x), 1.5).numpy(), [[[0.3, 1.0]]])
    u8 = np.array([[[10, 200]]], dtype=np.uint8)
    assert F.adjust_brightness(_t(u8), 1.5).tolist() == [[[15, 255]]]


def test_contrast_saturation_grayscale():
    x = np.array([[[0.0, 1.0]], [[0.0, 1.0]], [[0.0, 1.0]]], dtype=np.float32)
    flat = F.adjust_contrast(_t(x), 0.0).numpy()
    # the luma weights 0.2989 + 0.587 + 0.114 sum to 0.9999, as torchvision's
    np.testing.assert_allclose(flat, np.full_like(x, 0.5 * 0.9999), atol=1e-6)
    np.testing.assert_allclose(F.adjust_contrast(_t(x), 2.0).numpy(), [[[0, 1]]] * 3)
    rgb = np.array([[[1.0]], [[0.5]], [[0.0]]], dtype=np.float32)
    luma = 0.2989 * 1.0 + 0.587 * 0.5
    np.testing.assert_allclose(F.rgb_to_grayscale(_t(rgb)).numpy(), [[[luma]]], rtol=1e-6)
    np.testing.assert_allclose(F.adjust_saturation(_t(rgb), 0.0).numpy(), [[[luma]]] * 3,
                               rtol=1e-6)
    assert T.Grayscale(3)(_t(rgb)).shape[0] == 3
    assert tuple(T.RandomGrayscale(p=1.0)(_t(RGB)).shape) == (3, 6, 8)


def test_hue_shifts_primaries():
    red = np.array([[[1.0]], [[0.0]], [[0.0]]], dtype=np.float32)
    np.testing.assert_allclose(F.adjust_hue(_t(red), 1 / 3).numpy().ravel(), [0, 1, 0],
                               atol=1e-6)
    np.testing.assert_allclose(F.adjust_hue(_t(red), -1 / 3).numpy().ravel(), [0, 0, 1],
                               atol=1e-6)
    x = np.random.default_rng(4).random((3, 5, 5)).astype(np.float32)
    np.testing.assert_allclose(F.adjust_hue(_t(x), 0.0).numpy(), x, atol=1e-6)
    with pytest.raises(ValueError, match="hue_factor"):
        F.adjust_hue(_t(x), 0.7)


def test_color_jitter_ranges_and_identity():
    jitter = T.ColorJitter(brightness=0.5, hue=0.1)
    assert jitter.brightness == (0.5, 1.5) and jitter.contrast is None
    assert jitter.hue == (-0.1, 0.1)
    x = np.random.default_rng(5).random((3, 4, 4)).astype(np.float32)
    np.testing.assert_array_equal(T.ColorJitter()(_t(x)).numpy(), x)
    out = T.ColorJitter(0.4, 0.4, 0.4, 0.1)(_t(RGB))
    assert out.dtype == latte.uint8 and tuple(out.shape) == (3, 6, 8)


# --- tensors, normalisation, dtypes -------------------------------------------------------
def test_to_tensor_and_back():
    hwc = RGB.transpose(1, 2, 0)
    t = T.ToTensor()(hwc)
    assert t.dtype == latte.float32 and tuple(t.shape) == (3, 6, 8)
    np.testing.assert_allclose(t.numpy(), RGB / 255.0, rtol=1e-6)
    assert tuple(T.ToTensor()(RGB[0]).shape) == (1, 6, 8)


def test_normalize_values_and_inplace():
    x = np.array([[[0.5, 1.0]], [[0.0, 0.25]]], dtype=np.float32)
    norm = T.Normalize(mean=(0.5, 0.25), std=(0.5, 0.25))
    np.testing.assert_allclose(norm(_t(x)).numpy(), [[[0, 1]], [[-1, 0]]])
    t = _t(x.copy())
    version = t._version
    out = T.Normalize((0.5, 0.25), (0.5, 0.25), inplace=True)(t)
    assert out is t and t._version == version + 1
    np.testing.assert_allclose(t.numpy(), [[[0, 1]], [[-1, 0]]])
    with pytest.raises(ValueError, match="division by zero"):
        T.Normalize((0,), (0,))(_t(x))
    with pytest.raises(TypeError, match="floating"):
        T.Normalize((0,), (1,))(_t(RGB))
    assert repr(norm) == "Normalize(mean=(0.5, 0.25), std=(0.5, 0.25))"


def test_convert_image_dtype():
    u8 = np.array([[[0, 255]]], dtype=np.uint8)
    assert T.ConvertImageDtype(latte.float32)(_t(u8)).tolist() == [[[0.0, 1.0]]]
    f = np.array([[[0.0, 0.5, 1.0]]], dtype=np.float32)
    assert F.convert_image_dtype(_t(f), latte.uint8).tolist() == [[[0, 127, 255]]]


# --- filters and erasing ------------------------------------------------------------------
def test_gaussian_blur_of_a_delta_is_the_kernel():
    x = np.zeros((1, 7, 7), np.float32)
    x[0, 3, 3] = 1.0
    out = F.gaussian_blur(_t(x), [3, 3], [1.0, 1.0]).numpy()[0]
    k = np.exp(-0.5 * np.array([1.0, 0.0, 1.0]))
    k /= k.sum()
    np.testing.assert_allclose(out[2:5, 2:5], np.outer(k, k), rtol=1e-5)
    assert out.sum() == pytest.approx(1.0, rel=1e-5)
    const = np.full((3, 5, 5), 0.3, np.float32)
    np.testing.assert_allclose(T.GaussianBlur(5)(_t(const)).numpy(), const, rtol=1e-5)


def test_gaussian_blur_matches_torch_conv2d():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(7).random((2, 3, 9, 11))
    ours = F.gaussian_blur(_t(x), [5, 3], [1.5, 0.7]).numpy()
    kx, ky = F._gaussian_kernel1d(5, 1.5), F._gaussian_kernel1d(3, 0.7)
    weight = torch.from_numpy(np.outer(ky, kx)).expand(3, 1, 3, 5)
    padded = torch.nn.functional.pad(torch.from_numpy(x), [2, 2, 1, 1], mode="reflect")
    ref = torch.nn.functional.conv2d(padded, weight, groups=3).numpy()
    np.testing.assert_allclose(ours, ref, atol=1e-12)


def test_random_erasing_zeroes_a_rectangle():
    x = np.ones((3, 20, 20), np.float32)
    out = T.RandomErasing(p=1.0, value=0)(_t(x)).numpy()
    zero = out[0] == 0
    rows, cols = np.where(zero)
    assert zero.sum() > 0 and zero.sum() == (np.ptp(rows) + 1) * (np.ptp(cols) + 1)
    assert 0.02 * 400 * 0.5 <= zero.sum() <= 0.33 * 400 * 1.5
    assert (out == 1).all(axis=0).sum() == 400 - zero.sum()
    assert T.RandomErasing(p=0.0)(_t(x)) is not None


# --- composition, randomness, pickling, reprs ---------------------------------------------
def _augment(to_float=None):
    return T.Compose([T.RandomResizedCrop(12), T.RandomHorizontalFlip(), T.RandomRotation(15),
                      T.RandomAffine(10, translate=(0.1, 0.1), scale=(0.9, 1.1), shear=5),
                      T.ColorJitter(0.3, 0.3, 0.3, 0.05),
                      to_float or T.ConvertImageDtype(latte.float32),
                      T.Normalize((0.5,) * 3, (0.5,) * 3), T.RandomErasing()])


def test_manual_seed_repeats_augmentation():
    img, pipeline = _t(RGB), _augment()
    latte.manual_seed(7)
    first = [pipeline(img).numpy() for _ in range(3)]
    latte.manual_seed(7)
    second = [pipeline(img).numpy() for _ in range(3)]
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], first[1])


def test_transforms_pickle():
    pipeline = _augment()
    clone = pickle.loads(pickle.dumps(pipeline))
    latte.manual_seed(1)
    a = pipeline(_t(RGB)).numpy()
    latte.manual_seed(1)
    np.testing.assert_array_equal(clone(_t(RGB)).numpy(), a)


def test_random_apply_choice_order_lambda():
    x = _t(np.arange(6, dtype=np.float32).reshape(1, 2, 3))
    assert T.RandomApply([T.RandomHorizontalFlip(1.0)], p=0.0)(x).tolist() == x.tolist()
    assert T.RandomApply([T.RandomHorizontalFlip(1.0)], p=1.0)(x).tolist() == \
        F.hflip(x).tolist()
    choice = T.RandomChoice([T.RandomHorizontalFlip(1.0), T.RandomVerticalFlip(1.0)], p=[0, 1])
    assert choice(x).tolist() == F.vflip(x).tolist()
    both = T.RandomOrder([T.RandomHorizontalFlip(1.0), T.RandomVerticalFlip(1.0)])(x)
    assert both.tolist() == F.vflip(F.hflip(x)).tolist()
    assert T.Lambda(F.hflip)(x).tolist() == F.hflip(x).tolist()
    with pytest.raises(TypeError, match="callable"):
        T.Lambda(3)


def test_reprs_like_torchvision():
    assert repr(T.Compose([T.ToTensor(), T.CenterCrop(10)])) == \
        "Compose(\n    ToTensor()\n    CenterCrop(size=(10, 10))\n)"
    assert repr(T.RandomHorizontalFlip()) == "RandomHorizontalFlip(p=0.5)"
    assert repr(T.Resize(32)) == \
        "Resize(size=32, interpolation=bilinear, max_size=None, antialias=True)"
    assert repr(T.RandomCrop(32, padding=4)) == "RandomCrop(size=(32, 32), padding=4)"


def test_bad_inputs_have_clear_errors():
    with pytest.raises(TypeError, match="PIL image, a Tensor or a NumPy array"):
        F.hflip([[1, 2]])
    with pytest.raises(TypeError, match="3 channels"):
        F.adjust_saturation(_t(np.zeros((2, 3, 3), np.float32)), 0.5)
    with pytest.raises(ValueError, match="odd"):
        T.GaussianBlur(4)


# --- PIL images (pillow is optional) --------------------------------------------------------
def test_pil_and_tensor_inputs_agree():
    pytest.importorskip("PIL")
    x = np.arange(30, dtype=np.uint8).reshape(1, 5, 6)
    ops = [F.hflip, F.vflip, lambda im: F.crop(im, 1, 2, 2, 3),
           lambda im: F.center_crop(im, (4, 3)), lambda im: F.crop(im, -1, -2, 4, 5),
           lambda im: F.pad(im, [1, 2], padding_mode="reflect"),
           lambda im: F.adjust_brightness(im, 0.7),
           lambda im: F.affine(im, 20.0, [1, 0], 1.1, [5.0, 0.0], "bilinear")]
    for image in (x, RGB):
        for op in ops:
            np.testing.assert_array_equal(_pil_chw(op(_pil(image))), op(_t(image)).numpy())
    for op in (lambda im: F.adjust_contrast(im, 0.6), lambda im: F.adjust_saturation(im, 1.7),
               lambda im: F.adjust_hue(im, 0.2), lambda im: F.gaussian_blur(im, 3, 0.8)):
        np.testing.assert_array_equal(_pil_chw(op(_pil(RGB))), op(_t(RGB)).numpy())


def test_pil_modes_and_conversions():
    pytest.importorskip("PIL")
    img = _pil(RGB)
    assert T.Resize(3)(img).size == (4, 3)
    assert T.Grayscale()(img).mode == "L" and T.Grayscale(3)(img).mode == "RGB"
    assert T.RandomGrayscale(p=1.0)(img).mode == "RGB"
    out = T.ColorJitter(0.4, 0.4, 0.4, 0.1)(img)
    assert out.mode == "RGB" and out.size == (8, 6)
    t = T.ToTensor()(img)
    np.testing.assert_allclose(t.numpy(), RGB / 255.0, rtol=1e-6)
    assert tuple(T.ToTensor()(_pil(RGB[:1])).shape) == (1, 6, 8)
    assert T.PILToTensor()(img).tolist() == RGB.tolist()
    np.testing.assert_array_equal(np.asarray(T.ToPILImage()(t)), RGB.transpose(1, 2, 0))


def test_pil_pipeline_repeats_under_seed():
    pytest.importorskip("PIL")
    pipeline = _augment(T.ToTensor())
    latte.manual_seed(3)
    a = pipeline(_pil(RGB)).numpy()
    latte.manual_seed(3)
    np.testing.assert_array_equal(pipeline(_pil(RGB)).numpy(), a)
    assert a.shape == (3, 12, 12) and a.dtype == np.float32
