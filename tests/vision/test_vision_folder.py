"""ImageFolder / DatasetFolder on folders built in tmp_path."""
from __future__ import annotations

import numpy as np
import pytest

from latte.vision import transforms
from latte.vision.datasets import DatasetFolder, ImageFolder


def _npy_tree(root):
    for cls, n in (("b_dog", 2), ("a_cat", 3)):
        (root / cls).mkdir(parents=True)
        for i in range(n):
            np.save(root / cls / f"{i}.npy", np.full((2, 2), i + 10 * (cls == "b_dog")))
    (root / "a_cat" / "notes.txt").write_text("ignored")
    (root / ".hidden").mkdir()


def test_dataset_folder_classes_samples_targets(tmp_path):
    _npy_tree(tmp_path)
    ds = DatasetFolder(tmp_path, loader=np.load, extensions=(".npy",))
    assert ds.classes == ["a_cat", "b_dog"] and ds.class_to_idx == {"a_cat": 0, "b_dog": 1}
    assert ds.targets == [0, 0, 0, 1, 1] and len(ds) == 5
    assert [p.split("/")[-1] for p, _ in ds.samples] == ["0.npy", "1.npy", "2.npy"] * 1 + \
        ["0.npy", "1.npy"]
    x, y = ds[4]
    assert y == 1 and x.tolist() == [[11, 11], [11, 11]]


def test_dataset_folder_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a folder"):
        DatasetFolder(tmp_path / "missing", loader=np.load, extensions=(".npy",))
    (tmp_path / "empty_class").mkdir()
    with pytest.raises(FileNotFoundError, match="empty_class"):
        DatasetFolder(tmp_path, loader=np.load, extensions=(".npy",))
    with pytest.raises(ValueError, match="at the same time"):
        DatasetFolder(tmp_path, loader=np.load)


def test_image_folder_reads_rgb_images(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    colours = {"red": (255, 0, 0), "green": (0, 255, 0)}
    for name, rgb in colours.items():
        (tmp_path / name).mkdir()
        Image.new("RGB", (5, 4), rgb).save(tmp_path / name / "x.png")
        Image.new("L", (5, 4), 128).save(tmp_path / name / "grey.PNG")
    ds = ImageFolder(tmp_path, transform=transforms.ToTensor())
    assert ds.classes == ["green", "red"] and len(ds.imgs) == 4
    x, y = ds[ds.samples.index((str(tmp_path / "red" / "x.png"), 1))]
    assert y == 1 and tuple(x.shape) == (3, 4, 5)
    assert x.numpy()[:, 0, 0].tolist() == [1.0, 0.0, 0.0]
    grey, _ = ds[0]
    assert tuple(grey.shape) == (3, 4, 5)  # converted to RGB, as torchvision
