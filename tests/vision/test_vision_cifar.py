"""CIFAR-10/100 reading: the restricted unpickler, layout, checks, and the real files if present."""
from __future__ import annotations

import os
import pickle

import numpy as np
import pytest

import latte
from conftest import SHARED_DATA, cifar_batch
from latte.utils.data import DataLoader
from latte.vision.datasets import CIFAR10, CIFAR100
from latte.vision.datasets.cifar import load_pickle


def _write_cifar10(root, n_test=10, bytes_keys=False):
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    blob, data, labels = cifar_batch(n_test, seed=5, bytes_keys=bytes_keys)
    (folder / "test_batch").write_bytes(blob)
    names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
             "truck"]
    (folder / "batches.meta").write_bytes(pickle.dumps({"label_names": names}, protocol=2))
    return data, labels


@pytest.mark.parametrize("bytes_keys", [False, True])
def test_cifar10_layout_and_attributes(tmp_path, bytes_keys):
    data, labels = _write_cifar10(tmp_path, bytes_keys=bytes_keys)
    ds = CIFAR10(tmp_path, train=False)
    assert isinstance(ds.data, np.ndarray) and ds.data.shape == (10, 32, 32, 3)
    assert ds.data.dtype == np.uint8 and ds.targets == labels
    # row layout: 1024 R, 1024 G, 1024 B, each row-major
    np.testing.assert_array_equal(ds.data[2, :, :, 1], data[2, 1024:2048].reshape(32, 32))
    assert ds.classes[3] == "cat" and ds.class_to_idx["truck"] == 9


def test_cifar10_getitem_and_batches(tmp_path):
    pytest.importorskip("PIL")
    _write_cifar10(tmp_path)
    ds = CIFAR10(tmp_path, train=False)
    img, target = ds[4]
    assert img.mode == "RGB" and img.size == (32, 32) and target == ds.targets[4]
    np.testing.assert_array_equal(np.asarray(img), ds.data[4])
    images, labels = next(iter(DataLoader(ds, batch_size=4)))
    assert images.dtype == latte.uint8 and tuple(images.shape) == (4, 32, 32, 3)
    assert labels.tolist() == ds.targets[:4]


def test_cifar10_missing_train_batches_are_named(tmp_path):
    _write_cifar10(tmp_path)
    with pytest.raises(RuntimeError, match="data_batch_1.*data_batch_5"):
        CIFAR10(tmp_path, train=True)


def test_cifar10_found_through_latte_data(tmp_path, monkeypatch):
    data, _ = _write_cifar10(tmp_path / "env")
    monkeypatch.setenv("LATTE_DATA", str(tmp_path / "env"))
    ds = CIFAR10(tmp_path / "root", train=False)
    assert ds.folder == tmp_path / "env" / "cifar-10-batches-py"
    np.testing.assert_array_equal(ds.data[0].transpose(2, 0, 1).reshape(-1), data[0])


def test_cifar100_fine_labels(tmp_path):
    folder = tmp_path / "cifar-100-python"
    folder.mkdir()
    blob, _, labels = cifar_batch(7, num_classes=100, label_key="fine_labels")
    (folder / "test").write_bytes(blob)
    names = [f"class{i}" for i in range(100)]
    (folder / "meta").write_bytes(pickle.dumps({"fine_label_names": names}, protocol=2))
    ds = CIFAR100(tmp_path, train=False)
    assert ds.targets == labels and len(ds.classes) == 100


class _Exploit:
    def __reduce__(self):
        return (os.system, ("echo pwned > should_not_exist",))


def test_unpickler_refuses_code(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil"
    path.write_bytes(pickle.dumps({"data": _Exploit()}, protocol=2))
    with pytest.raises(RuntimeError, match="refusing to load global"):
        load_pickle(path)
    assert not (tmp_path / "should_not_exist").exists()


def test_corrupt_and_malformed_batches_name_the_file(tmp_path):
    blob, _, _ = cifar_batch(3)
    cut = tmp_path / "cut_batch"
    cut.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(RuntimeError, match="cut_batch"):
        load_pickle(cut)
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    bad = {"data": np.zeros((2, 100), np.uint8), "labels": [0, 1]}
    (folder / "test_batch").write_bytes(pickle.dumps(bad, protocol=2))
    (folder / "batches.meta").write_bytes(pickle.dumps({"label_names": ["a"] * 10}))
    with pytest.raises(RuntimeError, match=r"test_batch.*\(N, 3072\)"):
        CIFAR10(tmp_path, train=False)


@pytest.mark.skipif(not (SHARED_DATA / "cifar-10-batches-py").is_dir(),
                    reason="shared CIFAR-10 not present")
def test_shared_cifar10_counts():
    test = CIFAR10(SHARED_DATA, train=False)
    assert test.data.shape == (10000, 32, 32, 3)
    assert np.bincount(test.targets).tolist() == [1000] * 10
    assert [test.classes[t] for t in test.targets[:4]] == ["cat", "ship", "ship", "airplane"]

    class ThreeBatches(CIFAR10):  # the shared folder holds data_batch_1..3 only
        train_list = CIFAR10.train_list[:3]

    train = ThreeBatches(SHARED_DATA, train=True)
    assert train.data.shape == (30000, 32, 32, 3)
    first = np.bincount(train.targets[:10000]).tolist()
    assert first == [1005, 974, 1032, 1016, 999, 937, 1030, 1001, 1025, 981]
    assert train.classes[train.targets[0]] == "frog"
    mean = test.data.reshape(-1, 3).mean(axis=0) / 255
    np.testing.assert_allclose(mean, [0.4942, 0.4851, 0.4504], atol=1e-4)


def test_cifar10_partial_training_set(tmp_path):
    """``allow_partial`` trains on the batches present (as in ../shared/data), naming the rest;
    without it a missing batch is an error naming the files."""
    _write_cifar10(tmp_path)
    folder = tmp_path / "cifar-10-batches-py"
    blobs = [cifar_batch(4, seed=s) for s in (1, 2)]
    for name, (blob, _, _) in zip(["data_batch_1", "data_batch_3"], blobs):
        (folder / name).write_bytes(blob)
    with pytest.raises(RuntimeError, match="data_batch_2, data_batch_4, data_batch_5"):
        CIFAR10(tmp_path, train=True)
    ds = CIFAR10(tmp_path, train=True, allow_partial=True)
    assert len(ds) == 8
    assert ds.missing_batches == ["data_batch_2", "data_batch_4", "data_batch_5"]
    assert ds.targets == blobs[0][2] + blobs[1][2]
