"""make_grid and save_image."""
from __future__ import annotations

import builtins
import io

import numpy as np
import pytest

import latte
from latte.tensor import Tensor
from latte.vision.utils import _png_bytes, make_grid, save_image


def test_make_grid_layout_padding_and_grey_to_rgb():
    batch = np.stack([np.full((1, 2, 3), k, np.float32) for k in range(1, 6)])
    grid = make_grid(Tensor(batch), nrow=2, padding=1, pad_value=-1).numpy()
    # 3 rows x 2 columns of 2x3 cells, 1 pixel of padding around and between
    assert grid.shape == (3, 3 * 3 + 1, 2 * 4 + 1)
    assert (grid[:, 1:3, 1:4] == 1).all() and (grid[:, 1:3, 5:8] == 2).all()
    assert (grid[:, 7:9, 1:4] == 5).all() and (grid[:, 7:9, 5:8] == -1).all()
    assert (grid[:, 0] == -1).all() and (grid[:, :, 4] == -1).all()


def test_make_grid_normalize_and_single_image():
    x = Tensor(np.array([[[[-2.0, 2.0]]], [[[0.0, 4.0]]]], np.float32))
    whole = make_grid(x, padding=0, normalize=True).numpy()
    np.testing.assert_allclose(whole[0], [[0.0, 4 / 6, 2 / 6, 1.0]])
    each = make_grid(x, padding=0, normalize=True, scale_each=True).numpy()
    np.testing.assert_allclose(each[0], [[0.0, 1.0, 0.0, 1.0]])
    clipped = make_grid(x, padding=0, normalize=True, value_range=(0, 2)).numpy()
    np.testing.assert_allclose(clipped[0], [[0.0, 1.0, 0.0, 1.0]])
    one = make_grid(latte.rand(1, 3, 4, 5))
    assert tuple(one.shape) == (3, 4, 5)


def test_save_image_png_with_pillow(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    x = np.zeros((3, 4, 5), np.float32)
    x[0] = 1.0
    save_image(Tensor(x), tmp_path / "red.png")
    with Image.open(tmp_path / "red.png") as img:
        arr = np.asarray(img)
    assert arr.shape == (4, 5, 3) and (arr[..., 0] == 255).all() and (arr[..., 1:] == 0).all()


def test_builtin_png_writer_decodes(tmp_path, monkeypatch):
    Image = pytest.importorskip("PIL.Image")
    rgb = np.random.default_rng(0).integers(0, 256, (6, 7, 3), dtype=np.uint8)
    with Image.open(io.BytesIO(_png_bytes(rgb))) as img:
        np.testing.assert_array_equal(np.asarray(img), rgb)
    grey = rgb[:, :, :1]
    with Image.open(io.BytesIO(_png_bytes(grey))) as img:
        np.testing.assert_array_equal(np.asarray(img), grey[:, :, 0])
    # save_image falls back to it when pillow cannot be imported
    real_import = builtins.__import__

    def no_pil(name, *args, **kwargs):
        if name == "PIL" or name.startswith("PIL."):
            raise ImportError("no pillow here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pil)
    save_image(Tensor(np.full((3, 2, 2), 0.5, np.float32)), tmp_path / "grey.png")
    monkeypatch.undo()
    with Image.open(tmp_path / "grey.png") as img:
        assert np.asarray(img).tolist() == [[[128, 128, 128]] * 2] * 2
