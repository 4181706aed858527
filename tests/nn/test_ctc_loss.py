"""``F.ctc_loss``, ``nn.CTCLoss`` and ``latte.ctc_loss`` against PyTorch: values and gradients
(float64 and float32), target formats, impossible alignments, errors, node names."""
from __future__ import annotations

import zlib

import numpy as np
import pytest

import latte
from latte import nn

torch = pytest.importorskip("torch")


def _random_case(rng: np.random.Generator, concat: bool) -> tuple:
    """A batch of different input and target lengths, labels drawn from few classes so that
    repeats (and repeats next to blanks) are common, some targets empty, some too long."""
    t, n, c = int(rng.integers(1, 9)), int(rng.integers(1, 5)), int(rng.integers(2, 5))
    in_len = rng.integers(0, t + 1, n)
    tg_len = rng.integers(0, 5, n)
    s = int(tg_len.max()) if n else 0
    padded = rng.integers(1, c, (n, max(s, 1)))
    targets = (np.concatenate([padded[i, :tg_len[i]] for i in range(n)]) if concat
               else padded)
    return rng.normal(size=(t, n, c)), targets, tuple(in_len.tolist()), tuple(tg_len.tolist())


def _both(x: np.ndarray, targets: np.ndarray, in_len: tuple, tg_len: tuple, dtype: str,
          tensors: bool = False, **kw) -> list:
    out = []
    for lib in (latte, torch):
        lp = lib.tensor(x, dtype=getattr(lib, dtype)).log_softmax(-1).requires_grad_()
        lengths = (lib.tensor(in_len), lib.tensor(tg_len)) if tensors else (in_len, tg_len)
        loss = lib.nn.functional.ctc_loss(lp, lib.tensor(targets), *lengths, **kw)
        (g,) = lib.autograd.grad(loss.sum(), lp)
        out.append((loss.detach().numpy(), g.numpy()))
    return out


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("concat", [False, True])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("zero_infinity", [False, True])
def test_random_cases_match_torch(dtype, concat, reduction, zero_infinity):
    seed = zlib.crc32(repr((dtype, concat, reduction, zero_infinity)).encode())
    rng = np.random.default_rng(seed)
    tol = 1e-9 if dtype == "float64" else 2e-4
    infinite = 0
    for _ in range(12):
        x, targets, in_len, tg_len = _random_case(rng, concat)
        (a, ga), (b, gb) = _both(x, targets, in_len, tg_len, dtype, tensors=concat,
                                 reduction=reduction, zero_infinity=zero_infinity)
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)
        np.testing.assert_allclose(ga, gb, rtol=tol, atol=tol)  # NaN where PyTorch's is NaN
        infinite += int(np.isinf(a).any())
    if not zero_infinity and reduction == "none":
        assert infinite  # the random cases include impossible alignments


def test_impossible_alignment_gives_inf_or_zero():
    x = np.random.default_rng(0).normal(size=(3, 2, 3))
    targets, in_len, tg_len = np.array([[1, 1, 1], [2, 1, 0]]), (3, 3), (3, 2)
    (a, ga), _ = _both(x, targets, in_len, tg_len, "float64", reduction="none")
    assert np.isinf(a[0]) and np.isfinite(a[1])
    (a, ga), (_, gb) = _both(x, targets, in_len, tg_len, "float64", reduction="none",
                             zero_infinity=True)
    assert a[0] == 0 and np.all(ga[:, 0] == 0) and np.allclose(ga, gb)


def test_unbatched_and_empty_input():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(5, 4))
    for reduction in ("none", "mean"):
        (a, ga), (b, gb) = _both(x, np.array([1, 3, 3]), (5,), (3,), "float64",
                                 reduction=reduction)
        assert a.shape == b.shape == ()
        np.testing.assert_allclose(a, b)
        np.testing.assert_allclose(ga, gb)
    # no frames: the empty target costs nothing, any other is impossible
    (a, _), (b, _) = _both(rng.normal(size=(4, 2, 3)), np.array([[1, 2], [1, 1]]), (4, 0),
                           (2, 0), "float64", reduction="none")
    np.testing.assert_allclose(a, b)
    (a, _), (b, _) = _both(rng.normal(size=(4, 2, 3)), np.array([[1, 2], [1, 1]]), (4, 0),
                           (2, 1), "float64", reduction="none")
    np.testing.assert_allclose(a, b)
    assert np.isinf(a[1])


def test_float_targets_and_blank():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(6, 2, 4))
    (a, ga), (b, gb) = _both(x, np.array([[1.0, 0.0], [3.0, 3.0]]), (6, 5), (2, 2), "float64",
                             blank=2, reduction="none")
    np.testing.assert_allclose(a, b)
    np.testing.assert_allclose(ga, gb)


def test_module_top_level_and_node_names():
    x = np.random.default_rng(3).normal(size=(6, 2, 4))
    targets, lengths = np.array([[1, 2], [3, 3]]), ((6, 5), (2, 2))
    results = []
    for lib in (latte, torch):
        lp = lib.tensor(x).log_softmax(2).requires_grad_()
        t = lib.tensor(targets)
        module = lib.nn.CTCLoss(blank=0, reduction="sum", zero_infinity=True)
        assert repr(module) == "CTCLoss()"
        names = [lib.nn.functional.ctc_loss(lp, t, *lengths, reduction=r).grad_fn.name()
                 for r in ("none", "mean", "sum")]
        names.append(lib.nn.functional.ctc_loss(lp, t, *lengths, reduction="none",
                                                zero_infinity=True).grad_fn.name())
        results.append((module(lp, t, *lengths).item(), lib.ctc_loss(lp, t, *lengths).detach(),
                        lib.ctc_loss(lp, t, *lengths, 0, 1, False).item(), names))
    (m1, v1, r1, n1), (m2, v2, r2, n2) = results
    assert np.isclose(m1, m2) and np.isclose(r1, r2)
    np.testing.assert_allclose(v1.numpy(), v2.numpy())  # omitted reduction: per element
    assert n1 == n2 == ["CtcLossBackward0", "MeanBackward0", "SumBackward0", "WhereBackward0"]


@pytest.mark.parametrize("targets,in_len,tg_len,match", [
    ([[1, 2], [1, 1]], (6, 4), (2, 2), "input_lengths to have value at most 5"),
    ([[1, 2], [1, 1]], (5, 4), (3, 2), "size at least 3 at dimension 1"),
    ([1, 2, 1], (5, 4), (2, 2), "size 4 at dimension 0"),
    ([[1, 2], [1, 1]], (5, 4, 3), (2, 2), "input_lengths must be of size batch_size"),
    ([[1, 2], [1, 1]], (5, 4), (2,), "target_lengths must be of size batch_size"),
    ([[1, 2], [1, 1]], (5, 4), (2, -1), "target_lengths to have value at least 0"),
    ([[1, 2], [1, 1]], (5, -1), (2, 1), "input_lengths to have value at least 0"),
])
def test_errors_match_torch(targets, in_len, tg_len, match):
    for lib in (latte, torch):
        lp = lib.zeros(5, 2, 3).log_softmax(2)
        with pytest.raises(RuntimeError, match=match):
            lib.nn.functional.ctc_loss(lp, lib.tensor(targets), in_len, tg_len)
    with pytest.raises(ValueError, match="reduction"):
        nn.functional.ctc_loss(latte.zeros(5, 2, 3), latte.tensor([[1], [1]]), (5, 5), (1, 1),
                               reduction="foo")


def test_second_derivative_raises_as_in_torch():
    for lib in (latte, torch):
        lp = lib.zeros(4, 1, 3, dtype=lib.float64).log_softmax(2).requires_grad_()
        loss = lib.nn.functional.ctc_loss(lp, lib.tensor([[1, 2]]), (4,), (2,))
        (g,) = lib.autograd.grad(loss, lp, create_graph=True)
        with pytest.raises(RuntimeError):
            g.sum().backward()
