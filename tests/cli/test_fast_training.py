"""The fast recipes of experiments/fast_training.py: their NumPy pipeline, a --quick run of each on
made-up images, and step-for-step agreement of the Latte script with its PyTorch twin."""
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "experiments"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import fast_recipes  # noqa: E402
import fast_training  # noqa: E402


def _fake_load(recipe, root):
    rng = np.random.default_rng(0)
    shape = (3, 32, 32) if recipe["dataset"] == "cifar10" else (1, 28, 28)
    images = rng.integers(0, 256, (600, *shape), dtype=np.uint8)
    labels = rng.integers(0, 10, 600)
    return images[:500], labels[:500], images[500:], labels[500:]


def test_whitening_makes_the_patches_uncorrelated_with_unit_variance():
    rng = np.random.default_rng(0)
    images = rng.normal(size=(50, 3, 8, 8)).astype(np.float32)
    images[:, 1] += 0.8 * images[:, 0]  # correlated channels
    kernel = fast_recipes.whitening_weights(images, eps=0)
    assert kernel.shape == (24, 3, 2, 2)
    windows = np.lib.stride_tricks.sliding_window_view(images, (2, 2), axis=(2, 3))
    patches = windows.transpose(0, 2, 3, 1, 4, 5).reshape(-1, 12).astype(np.float64)
    whitened = patches @ kernel[:12].reshape(12, 12).T
    np.testing.assert_allclose(whitened.T @ whitened / len(whitened), np.eye(12), atol=1e-3)
    np.testing.assert_array_equal(kernel[12:], -kernel[:12])


def test_translate_shifts_each_image_by_its_own_offset_with_reflection():
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, (30, 2, 6, 7), dtype=np.uint8)
    offsets = rng.integers(0, 5, (30, 2))
    out = fast_recipes.translate(images, offsets, pad=2)
    for image, (dy, dx), shifted in zip(images, offsets, out):
        padded = np.pad(image, ((0, 0), (2, 2), (2, 2)), mode="reflect")
        np.testing.assert_array_equal(shifted, padded[:, dy:dy + 6, dx:dx + 7])


def test_epoch_batches_alternate_flips_drop_the_last_batch_and_repeat_under_a_seed():
    images = np.arange(10 * 4 * 4, dtype=np.uint8).reshape(10, 1, 4, 4)
    labels = np.arange(10)
    recipe = dict(fast_recipes.CIFAR10, batch_size=4, translate=0, mean=(0.0,), std=(1 / 255,))
    batches = fast_recipes.EpochBatches(images, labels, recipe, seed=3)
    assert len(batches) == 2
    seen = {}
    for epoch in range(2):
        for x, y in batches.epoch(epoch):
            for image, label in zip(np.rint(x), y):  # undo the normalisation's rounding
                flipped = not np.array_equal(image, images[label].astype(np.float32))
                assert flipped == np.array_equal(image, images[label, ..., ::-1])
                assert seen.setdefault((epoch, label), flipped) == flipped
    both = [label for label in range(10) if (0, label) in seen and (1, label) in seen]
    assert both and all(seen[(0, label)] != seen[(1, label)] for label in both)
    first = [y for _, y in fast_recipes.EpochBatches(images, labels, recipe, seed=3).epoch(0)]
    second = [y for _, y in fast_recipes.EpochBatches(images, labels, recipe, seed=3).epoch(0)]
    np.testing.assert_array_equal(first, second)


def test_the_schedule_warms_up_peaks_and_decays_linearly():
    factors = [fast_recipes.lr_factor(s, 100) for s in range(101)]
    assert factors[0] == pytest.approx(0.2) and factors[23] == pytest.approx(1.0)
    assert factors[100] == pytest.approx(0.07) and max(factors) == pytest.approx(1.0)
    assert fast_recipes.lookahead_decay(0, 100) == 0
    assert fast_recipes.lookahead_decay(100, 100) == pytest.approx(0.95 ** 5)


@pytest.mark.parametrize("recipe", ["cifar10", "mnist"])
def test_quick_run_of_each_recipe(recipe, monkeypatch, tmp_path):
    monkeypatch.setattr(fast_recipes, "load", _fake_load)
    out = tmp_path / "result.json"
    fast_training.main(["--recipe", recipe, "--quick", "--out", str(out)])
    result = __import__("json").loads(out.read_text())
    assert result["recipe"] == recipe and result["framework"] == "latte"
    assert 0 <= result["test_acc_tta"] <= 1 and len(result["history"]) == 1
    assert np.isfinite(result["history"][0]["train_loss"])


def test_twin_on_pytorch_takes_the_same_steps_from_the_same_weights():
    torch = pytest.importorskip("torch")
    import fast_training_torch

    import latte
    twin = fast_training_torch.load_on_torch(ROOT / "experiments" / "fast_training.py")
    hyper = dict(fast_recipes.CIFAR10, widths=(8, 16, 16), batch_size=16)
    latte.manual_seed(0)
    ours, theirs = fast_training.make_net(hyper), twin.make_net(hyper)
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                            for k, v in ours.state_dict().items()})
    optimizers = fast_training.make_optimizer(ours, hyper), twin.make_optimizer(theirs, hyper)
    images, labels, _, _ = _fake_load(hyper, None)
    batches = fast_recipes.EpochBatches(images[:32], labels[:32], hyper, seed=0)
    for x, y in batches.epoch(0):
        losses = []
        for lib, net, optimizer in ((latte, ours, optimizers[0]), (torch, theirs, optimizers[1])):
            out = net(lib.from_numpy(x))
            loss = lib.nn.functional.cross_entropy(out, lib.from_numpy(y), reduction="none",
                                                   label_smoothing=0.2).sum()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        assert losses[0] == pytest.approx(losses[1], rel=1e-4)
    for key, value in ours.state_dict().items():
        np.testing.assert_allclose(value.numpy(), theirs.state_dict()[key].numpy(), rtol=1e-3,
                                   atol=1e-4, err_msg=key)


def test_plot_of_accuracy_against_wall_time(monkeypatch, tmp_path):
    pytest.importorskip("matplotlib")
    import plot_fast_training
    monkeypatch.setattr(fast_recipes, "load", _fake_load)
    fast_training.main(["--recipe", "mnist", "--quick", "--out", str(tmp_path / "a.json")])
    plot_fast_training.main([str(tmp_path / "a.json"), "--out", str(tmp_path / "plot.png")])
    assert (tmp_path / "plot.png").read_bytes()[:4] == b"\x89PNG"
