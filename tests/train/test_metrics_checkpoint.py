"""Metrics against hand computations; atomic checkpoints; RNG state round trips."""
import random

import numpy as np
import pytest

import latte
from latte.train import (
    MetricMeter,
    accuracy,
    confusion_matrix,
    get_rng_states,
    load_checkpoint,
    save_atomic,
    set_rng_states,
    topk_correct,
)

SCORES = np.array([[0.1, 0.6, 0.3],   # true 1: top1 hit
                   [0.5, 0.2, 0.3],   # true 2: top1 miss, top2 hit
                   [0.2, 0.3, 0.5],   # true 0: miss in top1 and top2
                   [0.7, 0.2, 0.1]])  # true 0: hit
LABELS = np.array([1, 2, 0, 0])


def test_topk_by_hand():
    assert topk_correct(SCORES, LABELS, (1, 2, 3)) == [2, 3, 4]
    assert accuracy(latte.tensor(SCORES), latte.tensor(LABELS), (1, 2)) == [0.5, 0.75]
    with pytest.raises(ValueError, match=r"\(4, 3\) and \(3,\)"):
        topk_correct(SCORES, LABELS[:3])


def test_confusion_matrix_by_hand():
    cm = confusion_matrix(SCORES.argmax(1), LABELS, 3)
    np.testing.assert_array_equal(cm, [[1, 0, 1], [0, 1, 0], [1, 0, 0]])
    assert cm.sum() == 4


def test_meter_weights_batches_by_size():
    meter = MetricMeter(num_classes=3, topk=(2,))
    meter.update(1.0, SCORES[:1], LABELS[:1])
    meter.update(4.0, SCORES[1:], LABELS[1:])
    assert meter.loss == pytest.approx((1.0 + 3 * 4.0) / 4)
    assert meter.accuracy == 0.5 and meter.topk == {2: 0.75}
    assert meter.summary("val_") == {"val_loss": 3.25, "val_acc": 0.5, "val_top2": 0.75}


def test_save_atomic_round_trip(tmp_path):
    save_atomic({"model": {"w": latte.ones(2)}, "epoch": 3}, tmp_path / "c.pt")
    ckpt = load_checkpoint(tmp_path / "c.pt")
    assert ckpt["epoch"] == 3 and ckpt["model"]["w"].tolist() == [1.0, 1.0]
    assert [p.name for p in tmp_path.iterdir()] == ["c.pt"]


def test_save_atomic_keeps_old_file_on_failure(tmp_path, monkeypatch):
    path = tmp_path / "last.pt"
    save_atomic({"model": {}, "epoch": 1}, path)
    before = path.read_bytes()

    def crash_mid_write(obj, f):  # half a file written, then the process "dies"
        f.write(before[:20])
        raise KeyboardInterrupt

    monkeypatch.setattr(latte, "save", crash_mid_write)
    with pytest.raises(KeyboardInterrupt):
        save_atomic({"model": {}, "epoch": 2}, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["last.pt"]  # no partial temp file left


def test_load_checkpoint_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no checkpoint at"):
        load_checkpoint(tmp_path / "missing.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(RuntimeError, match="not a readable checkpoint"):
        load_checkpoint(tmp_path / "junk.pt")
    latte.save({"w": latte.ones(1)}, tmp_path / "bare.pt")
    with pytest.raises(RuntimeError, match="no 'model' entry"):
        load_checkpoint(tmp_path / "bare.pt")


def test_rng_states_round_trip_through_a_file(tmp_path):
    latte.manual_seed(3)
    np.random.seed(3)
    random.seed(3)
    save_atomic({"model": {}, "rng": get_rng_states()}, tmp_path / "r.pt")
    first = (latte.rand(3).tolist(), np.random.rand(3).tolist(), random.random())
    set_rng_states(load_checkpoint(tmp_path / "r.pt")["rng"])
    assert (latte.rand(3).tolist(), np.random.rand(3).tolist(), random.random()) == first
