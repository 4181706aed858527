"""latte.vision.io against torchvision.io's documented behaviour, with Pillow as the codec."""
from __future__ import annotations

import numpy as np
import pytest

import latte
from latte.vision import io

Image = pytest.importorskip("PIL.Image")


def _rgb(h: int = 5, w: int = 7) -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, (h, w, 3), dtype=np.uint8)


def test_read_file_and_write_file_round_trip_bytes(tmp_path):
    path = tmp_path / "blob.bin"
    io.write_file(path, latte.tensor(np.arange(256, dtype=np.uint8)))
    data = io.read_file(path)
    assert data.dtype == latte.uint8 and data.shape == (256,)
    assert path.read_bytes() == bytes(range(256))


def test_read_file_missing_names_the_path(tmp_path):
    missing = tmp_path / "nope.png"
    with pytest.raises(RuntimeError, match="No such file.*nope.png"):
        io.read_file(missing)
    with pytest.raises(RuntimeError, match="nope.png"):
        io.read_image(missing)


def test_read_image_png_is_chw_uint8_exact(tmp_path):
    rgb = _rgb()
    Image.fromarray(rgb).save(tmp_path / "a.png")
    img = io.read_image(str(tmp_path / "a.png"))
    assert img.dtype == latte.uint8 and tuple(img.shape) == (3, 5, 7)
    np.testing.assert_array_equal(img.numpy(), rgb.transpose(2, 0, 1))


@pytest.mark.parametrize("mode, channels", [(io.ImageReadMode.GRAY, 1), ("GRAY_ALPHA", 2),
                                            (io.ImageReadMode.RGB, 3), ("RGBA", 4),
                                            (io.ImageReadMode.RGB_ALPHA, 4)])
def test_read_modes_convert_channels(tmp_path, mode, channels):
    Image.fromarray(_rgb()).save(tmp_path / "a.png")
    img = io.read_image(tmp_path / "a.png", mode)
    assert tuple(img.shape) == (channels, 5, 7)
    if channels == 1:
        expected = np.asarray(Image.open(tmp_path / "a.png").convert("L"))
        np.testing.assert_array_equal(img.numpy()[0], expected)


def test_grayscale_png_unchanged_has_one_channel(tmp_path):
    Image.fromarray(_rgb()[:, :, 0]).save(tmp_path / "g.png")
    assert tuple(io.read_image(tmp_path / "g.png").shape) == (1, 5, 7)


def test_png_encode_decode_round_trip_is_lossless(tmp_path):
    img = latte.tensor(_rgb().transpose(2, 0, 1).copy())
    data = io.encode_png(img, compression_level=9)
    assert data.dtype == latte.uint8 and data.ndim == 1
    assert bytes(data.numpy()[:8]) == b"\x89PNG\r\n\x1a\n"
    np.testing.assert_array_equal(io.decode_png(data).numpy(), img.numpy())
    io.write_png(img, tmp_path / "w.png")
    np.testing.assert_array_equal(io.decode_image(str(tmp_path / "w.png")).numpy(), img.numpy())


def test_jpeg_encode_decode_round_trip_is_close(tmp_path):
    smooth = np.tile(np.linspace(0, 255, 32, dtype=np.uint8), (3, 32, 1))
    img = latte.tensor(smooth)
    data = io.encode_jpeg(img, quality=95)
    assert bytes(data.numpy()[:2]) == b"\xff\xd8"
    back = io.decode_jpeg(data)
    assert tuple(back.shape) == (3, 32, 32)
    assert np.abs(back.numpy().astype(int) - smooth.astype(int)).mean() < 3
    io.write_jpeg(img, tmp_path / "w.jpg")
    assert io.read_image(tmp_path / "w.jpg").shape == (3, 32, 32)
    batch = io.encode_jpeg([img, img])
    assert len(batch) == 2 and len(io.decode_jpeg(batch)) == 2


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(RuntimeError, match="1-D uint8"):
        io.decode_image(latte.zeros(3, 4))
    with pytest.raises(RuntimeError, match="not a readable png"):
        io.decode_png(latte.tensor(np.arange(20, dtype=np.uint8)))
    png = io.encode_png(latte.zeros(1, 2, 2, dtype=latte.uint8))
    with pytest.raises(RuntimeError, match="not jpeg"):
        io.decode_jpeg(png)
    with pytest.raises(RuntimeError, match=r"\(C, H, W\) uint8"):
        io.encode_png(latte.zeros(2, 2))
    with pytest.raises(ValueError, match="between 1 and 100"):
        io.encode_jpeg(latte.zeros(3, 2, 2, dtype=latte.uint8), quality=0)
    with pytest.raises(ValueError, match="unknown image read mode"):
        io.read_image("x.png", "CMYK")
