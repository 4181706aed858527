"""The circle demo learns, and the benchmark and comparison scripts still run."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "examples")]

import circle  # noqa: E402  (examples/circle.py)

import latte  # noqa: E402


def test_circle_labels_follow_the_disc():
    latte.manual_seed(0)
    x, labels = circle.make_data(500)
    assert tuple(x.shape) == (500, 2) and labels.dtype == latte.int64
    distance = np.sqrt(((x.numpy() - 0.5) ** 2).sum(axis=1))
    np.testing.assert_array_equal(labels.numpy(), distance < 1 / np.sqrt(2 * np.pi))
    # the disc covers half the square, so the classes are roughly balanced
    assert 200 < labels.sum().item() < 300


def test_circle_init_matches_nn_linear_bounds():
    latte.manual_seed(0)
    layers = circle.init_layers([2, 25, 4])
    for (w, b), fan_in in zip(layers, [2, 25]):
        bound = 1 / np.sqrt(fan_in)
        assert w.requires_grad and b.requires_grad
        assert np.abs(w.detach().numpy()).max() <= bound
        assert np.abs(b.detach().numpy()).max() <= bound
    assert tuple(layers[1][0].shape) == (4, 25)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_circle_demo_learns(activation):
    # an untrained network sits at the majority-class baseline: about 500 of 1000 points wrong;
    # 40 epochs (about half the demo's 75) get well past the slow start
    train_errors, test_errors = circle.run(seed=0, epochs=40, activation=activation)
    assert train_errors < 100
    assert test_errors < 100


def test_circle_demo_is_reproducible():
    first = circle.run(seed=3, epochs=2, n_points=200)
    assert circle.run(seed=3, epochs=2, n_points=200) == first


def test_circle_torch_twin_sees_latte_data():
    pytest.importorskip("torch")
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import circle_torch
    latte.manual_seed(5)
    ours = circle.make_data(300) + circle.make_data(300)
    theirs = circle_torch.make_datasets(5, 300)
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a.numpy(), b)


def test_circle_training_matches_torch_from_same_weights():
    torch = pytest.importorskip("torch")
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import circle_torch
    latte.manual_seed(0)
    x, labels = circle.make_data(300)
    ours = circle.init_layers(circle.SIZES)
    theirs = [tuple(torch.tensor(t.detach().numpy()).requires_grad_() for t in layer)
              for layer in ours]
    start = ours[0][0].detach().numpy().copy()
    circle.train(ours, x, labels, 5, "tanh")
    circle_torch.train(theirs, torch.from_numpy(x.numpy()), torch.from_numpy(labels.numpy()), 5,
                       "tanh")
    for layer_ours, layer_theirs in zip(ours, theirs):
        for a, b in zip(layer_ours, layer_theirs):
            np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), atol=1e-5)
    # and training moved the weights: the comparison is not between two untouched copies
    assert np.abs(ours[0][0].detach().numpy() - start).max() > 1e-3


@pytest.mark.slow  # about 15 s: several fresh interpreters import torch and chainer
def test_bench_core_quick_runs():
    pytest.importorskip("torch")
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_core.py"), "--quick",
                          "--rounds", "1"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    for figure in ("(a)", "(b)", "(c)", "(d)"):
        assert figure in out.stdout
    assert "latte/torch" in out.stdout
