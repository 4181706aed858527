"""``latte.cli.data.load_data`` on the full MNIST files of ../shared/data (skipped without them)."""
from pathlib import Path

import pytest

from latte.cli.data import load_data

pytest.importorskip("PIL")

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@pytest.mark.skipif(not (SHARED / "mnist" / "train-images-idx3-ubyte.gz").exists(),
                    reason="full MNIST not in ../shared/data")
def test_augmented_training_set_is_found_in_data_dir(monkeypatch):
    # the augmented copy of the training set must search --data-dir like the plain one does
    monkeypatch.delenv("LATTE_DATA", raising=False)
    bundle = load_data("mnist", str(SHARED), augment=True, log=lambda *_: None)
    assert len(bundle.train) == 60_000 and len(bundle.plain_train) == 60_000
    image, label = bundle.train[0]
    assert tuple(image.shape) == (1, 28, 28) and int(label) == 5
