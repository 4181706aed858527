"""IDX parsing and the MNIST family: layout, search folders, verification, samples, batching."""
from __future__ import annotations

import gzip

import numpy as np
import pytest

import latte
from conftest import SHARED_DATA, make_mnist_arrays, write_mnist_split
from latte.utils.data import DataLoader
from latte.vision import transforms
from latte.vision.datasets import KMNIST, MNIST, FashionMNIST, MNISTSample
from latte.vision.datasets import vision as vision_base
from latte.vision.datasets._idx import read_idx, read_idx_bytes, write_idx


# --- IDX ----------------------------------------------------------------------------------
def test_idx_roundtrip_plain_and_gz(tmp_path):
    arr = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    write_idx(tmp_path / "a-idx3-ubyte", arr)
    write_idx(tmp_path / "a-idx3-ubyte.gz", arr)
    raw = (tmp_path / "a-idx3-ubyte").read_bytes()
    assert raw[:4] == b"\x00\x00\x08\x03" and len(raw) == 4 + 12 + 24
    np.testing.assert_array_equal(read_idx(tmp_path / "a-idx3-ubyte", 3), arr)
    np.testing.assert_array_equal(read_idx(tmp_path / "a-idx3-ubyte.gz", 3), arr)


def test_idx_rejects_bad_magic_wrong_dims_and_truncation(tmp_path):
    good = b"\x00\x00\x08\x01" + np.asarray([3], ">u4").tobytes() + b"\x01\x02\x03"
    assert read_idx_bytes(good, 1).tolist() == [1, 2, 3]
    with pytest.raises(RuntimeError, match="bad magic"):
        read_idx_bytes(b"\x12\x34" + good[2:])
    with pytest.raises(RuntimeError, match="0x803"):
        read_idx_bytes(good, 3)
    with pytest.raises(RuntimeError, match="needs 11 bytes, the file has 10"):
        read_idx_bytes(good[:-1], 1, "labels.idx")
    path = tmp_path / "cut-idx1-ubyte.gz"
    path.write_bytes(gzip.compress(good)[:-6])
    with pytest.raises(RuntimeError, match="cut-idx1-ubyte.gz"):
        read_idx(path, 1)


# --- MNIST from files ---------------------------------------------------------------------
def test_mnist_torchvision_layout(mnist_root, no_known_md5):
    root, arrays = mnist_root
    ds = MNIST(root, train=True)
    images, labels = arrays[True]
    assert ds.data.dtype == latte.uint8 and tuple(ds.data.shape) == (30, 28, 28)
    assert ds.targets.dtype == latte.int64
    np.testing.assert_array_equal(ds.data.numpy(), images)
    np.testing.assert_array_equal(ds.targets.numpy(), labels)
    assert len(MNIST(root, train=False)) == 20
    assert ds.classes[0] == "0 - zero" and ds.class_to_idx["9 - nine"] == 9
    assert "Split: Train" in repr(ds) and "Number of datapoints: 30" in repr(ds)


def test_mnist_getitem_pil_and_transforms(mnist_root, no_known_md5):
    pytest.importorskip("PIL")
    root, arrays = mnist_root
    images, labels = arrays[False]
    ds = MNIST(root, train=False)
    img, target = ds[3]
    assert img.mode == "L" and img.size == (28, 28) and target == int(labels[3])
    assert isinstance(target, int)
    np.testing.assert_array_equal(np.asarray(img), images[3])
    ds = MNIST(root, train=False, transform=transforms.ToTensor(),
               target_transform=lambda y: y + 100)
    x, y = ds[3]
    assert tuple(x.shape) == (1, 28, 28) and y == int(labels[3]) + 100
    np.testing.assert_allclose(x.numpy()[0], images[3] / 255.0, rtol=1e-6)


def test_mnist_without_pillow_returns_arrays(mnist_root, no_known_md5, monkeypatch):
    root, arrays = mnist_root
    monkeypatch.setattr(vision_base, "pil_image_module", lambda: None)
    img, _ = MNIST(root, train=False)[0]
    assert isinstance(img, np.ndarray)
    np.testing.assert_array_equal(img, arrays[False][0][0])


def test_mnist_uncompressed_files(tmp_path, no_known_md5):
    images, labels = make_mnist_arrays(7)
    write_mnist_split(tmp_path / "MNIST" / "raw", False, images, labels, compress=False)
    np.testing.assert_array_equal(MNIST(tmp_path, train=False).data.numpy(), images)


def test_mnist_batched_gather_matches_per_sample(mnist_root, no_known_md5):
    root, arrays = mnist_root
    ds = MNIST(root, train=True)
    batches = list(DataLoader(ds, batch_size=8, shuffle=False))
    images, labels = batches[0]
    assert images.dtype == latte.uint8 and tuple(images.shape) == (8, 28, 28)
    np.testing.assert_array_equal(images.numpy(), arrays[True][0][:8])
    np.testing.assert_array_equal(labels.numpy(), arrays[True][1][:8])
    assert sum(len(b[1]) for b in batches) == 30
    # with a per-sample transform the loader goes through __getitem__
    ds.transform = transforms.Compose([transforms.ToTensor(),
                                       transforms.Normalize((0.5,), (0.5,))])
    x, y = next(iter(DataLoader(ds, batch_size=4)))
    assert tuple(x.shape) == (4, 1, 28, 28) and x.dtype == latte.float32
    np.testing.assert_allclose(x.numpy()[:, 0], (arrays[True][0][:4] / 255 - 0.5) / 0.5,
                               rtol=1e-5, atol=1e-6)


def test_mnist_missing_files_message(tmp_path, monkeypatch):
    monkeypatch.delenv("LATTE_DATA", raising=False)
    with pytest.raises(RuntimeError) as err:
        MNIST(tmp_path / "empty")
    msg = str(err.value)
    assert "train-images-idx3-ubyte" in msg and "download=True" in msg
    assert str(tmp_path / "empty" / "MNIST" / "raw") in msg


def test_mnist_content_md5_mismatch_in_root_raises(mnist_root, monkeypatch):
    root, _ = mnist_root
    monkeypatch.delenv("LATTE_DATA", raising=False)
    with pytest.raises(RuntimeError) as err:
        MNIST(root, train=False)
    msg = str(err.value)
    assert "2646ac647ad5339dbf082846283269ea" in msg  # the expected MD5 of real t10k images
    assert "t10k-images-idx3-ubyte.gz" in msg


def test_mnist_label_image_count_mismatch(tmp_path, no_known_md5):
    images, labels = make_mnist_arrays(5)
    write_mnist_split(tmp_path / "MNIST" / "raw", False, images, labels[:4])
    with pytest.raises(RuntimeError, match="5 images but .* 4 labels"):
        MNIST(tmp_path, train=False)


def test_latte_data_folders_are_searched(tmp_path, no_known_md5, monkeypatch):
    images, labels = make_mnist_arrays(6)
    for sub in ("MNIST/raw", "mnist", "."):
        base = tmp_path / sub.replace("/", "_")
        folder = base / sub if sub != "." else base
        write_mnist_split(folder, False, images, labels)
        monkeypatch.setenv("LATTE_DATA", str(base))
        ds = MNIST(tmp_path / "nothing-here", train=False)
        np.testing.assert_array_equal(ds.data.numpy(), images)


def test_search_skips_fallback_folders_with_wrong_content(tmp_path, monkeypatch):
    monkeypatch.setattr(MNIST, "content_md5s", {"t10k-images-idx3-ubyte": "0" * 32})
    images, labels = make_mnist_arrays(6)
    write_mnist_split(tmp_path / "env", False, images, labels)
    monkeypatch.setenv("LATTE_DATA", str(tmp_path / "env"))
    with pytest.raises(RuntimeError) as err:
        MNIST(tmp_path / "root", train=False)
    assert "rejected" in str(err.value) and "0" * 32 in str(err.value)


def test_kmnist_and_fashion_use_their_own_folders(tmp_path, monkeypatch):
    monkeypatch.delenv("LATTE_DATA", raising=False)
    monkeypatch.setattr(FashionMNIST, "system_folders", ())
    monkeypatch.setattr(FashionMNIST, "content_md5s", {})
    images, labels = make_mnist_arrays(4)
    write_mnist_split(tmp_path / "KMNIST" / "raw", False, images, labels)
    write_mnist_split(tmp_path / "FashionMNIST" / "raw", False, images, labels)
    assert KMNIST(tmp_path, train=False).classes[0] == "o"
    assert FashionMNIST(tmp_path, train=False).classes[9] == "Ankle boot"


# --- the shipped sample -------------------------------------------------------------------
def test_mnist_sample_split_is_balanced():
    train, test = MNISTSample(), MNISTSample(train=False)
    assert len(train) == 4000 and len(test) == 1000
    assert np.bincount(train.targets.numpy()).tolist() == [400] * 10
    assert np.bincount(test.targets.numpy()).tolist() == [100] * 10
    assert train.data.dtype == latte.uint8 and tuple(test.data.shape) == (1000, 28, 28)
    # real digits: ink in the middle, blank corners
    mean = train.data.numpy().mean(axis=0)
    assert mean[10:18, 10:18].mean() > 60 and mean[:3, :3].max() < 1


@pytest.mark.skipif(not (SHARED_DATA / "mnist").is_dir(), reason="shared MNIST not present")
def test_mnist_sample_digits_are_real_mnist_training_images():
    real = read_idx(SHARED_DATA / "mnist" / "train-images-idx3-ubyte.gz", 3)[:5848]
    real_labels = read_idx(SHARED_DATA / "mnist" / "train-labels-idx1-ubyte.gz", 1)
    index = {img.tobytes(): i for i, img in enumerate(real)}
    sample = MNISTSample(train=False)
    for img, label in zip(sample.data.numpy()[:50], sample.targets.numpy()[:50]):
        assert real_labels[index[img.tobytes()]] == label


# --- real data, when present --------------------------------------------------------------
@pytest.mark.skipif(not (SHARED_DATA / "mnist").is_dir(), reason="shared MNIST not present")
def test_shared_mnist_through_latte_data(tmp_path, monkeypatch):
    monkeypatch.setenv("LATTE_DATA", str(SHARED_DATA))
    train, test = MNIST(tmp_path, train=True), MNIST(tmp_path, train=False)
    assert tuple(train.data.shape) == (60000, 28, 28) and tuple(test.data.shape) == (10000, 28, 28)
    assert np.bincount(train.targets.numpy()).tolist() == [
        5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert np.bincount(test.targets.numpy()).tolist() == [
        980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert int(train.targets[0]) == 5 and int(test.targets[0]) == 7


FASHION = "/usr/share/datasets/fashion-mnist"


@pytest.mark.skipif(not __import__("os").path.isdir(FASHION),
                    reason="Debian's dataset-fashion-mnist is not installed")
def test_debian_fashion_mnist_verified_by_content(tmp_path, monkeypatch):
    monkeypatch.delenv("LATTE_DATA", raising=False)
    ds = FashionMNIST(tmp_path, train=False)
    assert tuple(ds.data.shape) == (10000, 28, 28)
    assert np.bincount(ds.targets.numpy()).tolist() == [1000] * 10


def test_augmented_sample_through_worker_processes_repeats_under_seed():
    import multiprocessing
    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("needs the fork start method")
    ds = MNISTSample(train=False, transform=transforms.Compose([
        transforms.RandomCrop(28, padding=2), transforms.ToTensor(),
        transforms.Normalize((0.1307,), (0.3081,))]))

    def run():
        latte.manual_seed(0)
        loader = DataLoader(ds, batch_size=250, num_workers=2, multiprocessing_context="fork")
        return [x.numpy() for x, _ in loader]

    first, second = run(), run()
    assert len(first) == 4 and first[0].shape == (250, 1, 28, 28)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
