"""Every op on PyTorch's "Tensor Views" list returns an alias, checked against PyTorch itself:
a write to the base shows through the view, a write through the view reaches the base, both
share one version counter, and under autograd a write through a view of a non-leaf gives
PyTorch's gradients. Where PyTorch raises (a view no strides can give), Latte raises the same.
Skipped from the list: sparse ``indices``/``values`` and ``view_as_real`` (no complex dtypes)."""
from __future__ import annotations

import numpy as np
import pytest

import latte

torch = pytest.importorskip("torch")

# name: (base shape, view of the base); tuple results (unbind, split...) use every piece
VIEWS = {
    "as_strided": ((3, 4), lambda lib, x: x.as_strided((2, 2), (1, 4), 1)),
    "as_strided_function": ((3, 4), lambda lib, x: lib.as_strided(x, (2, 3), (4, 1))),
    "as_strided_of_view": ((3, 4), lambda lib, x: x[1:].as_strided((2,), (2,))),
    "detach": ((3, 4), lambda lib, x: x.detach()),
    "diagonal": ((3, 4), lambda lib, x: x.diagonal()),
    "diagonal_offset": ((3, 4), lambda lib, x: x.diagonal(1)),
    "diagonal_negative_3d": ((2, 3, 4), lambda lib, x: x.diagonal(-1, 2, 1)),
    "expand": ((3, 1), lambda lib, x: x.expand(3, 4)),
    "expand_as": ((1, 4), lambda lib, x: x.expand_as(lib.zeros(2, 3, 4))),
    "movedim": ((2, 3, 4), lambda lib, x: x.movedim(0, -1)),
    "narrow": ((3, 4), lambda lib, x: x.narrow(1, 1, 2)),
    "permute": ((2, 3, 4), lambda lib, x: x.permute(2, 0, 1)),
    "select": ((3, 4), lambda lib, x: x.select(1, 2)),
    "squeeze": ((3, 1, 4), lambda lib, x: x.squeeze()),
    "squeeze_dim": ((3, 1, 4), lambda lib, x: x.squeeze(1)),
    "transpose": ((2, 3, 4), lambda lib, x: x.transpose(0, 2)),
    "t": ((3, 4), lambda lib, x: x.t()),
    "T": ((3, 4), lambda lib, x: x.T),
    "H": ((3, 4), lambda lib, x: x.H),
    "mT": ((2, 3, 4), lambda lib, x: x.mT),
    "mH": ((2, 3, 4), lambda lib, x: x.mH),
    "adjoint": ((2, 3, 4), lambda lib, x: x.adjoint()),
    "real": ((3, 4), lambda lib, x: x.real),
    "unflatten": ((3, 4), lambda lib, x: x.unflatten(1, (2, 2))),
    "unflatten_of_transpose": ((3, 4), lambda lib, x: x.t().unflatten(0, (2, 2))),
    "unfold": ((3, 4), lambda lib, x: x.unfold(1, 2, 2)),
    "unfold_overlapping": ((3, 5), lambda lib, x: x.unfold(1, 3, 1)),
    "unsqueeze": ((3, 4), lambda lib, x: x.unsqueeze(1)),
    "view": ((3, 4), lambda lib, x: x.view(2, 6)),
    "view_of_transpose": ((3, 4), lambda lib, x: x.t().view(2, 2, 3)),
    "view_dtype": ((3, 4), lambda lib, x: x.view(lib.int32)),
    "view_as": ((3, 4), lambda lib, x: x.view_as(lib.zeros(4, 3))),
    "unbind": ((3, 4), lambda lib, x: x.unbind(1)),
    "split": ((5, 4), lambda lib, x: x.split(2)),
    "split_with_sizes": ((5, 4), lambda lib, x: x.split_with_sizes([1, 3, 1])),
    "swapaxes": ((2, 3, 4), lambda lib, x: x.swapaxes(0, 1)),
    "swapdims": ((2, 3, 4), lambda lib, x: x.swapdims(1, 2)),
    "chunk": ((5, 4), lambda lib, x: x.chunk(2, 1)),
}
# views in which one memory location shows at several places (writes refuse, as PyTorch)
READ_ONLY = {"expand", "expand_as"}


def _pieces(out):
    return list(out) if isinstance(out, tuple) else [out]


def _base(lib, shape):
    return lib.arange(float(np.prod(shape)), dtype=lib.float32).reshape(shape)


def _write_through(lib, name):
    """Base written, then each view written at one place; what base and views hold after."""
    shape, fn = VIEWS[name]
    x = _base(lib, shape)
    views = _pieces(fn(lib, x))
    x.add_(100)  # the base's write shows through every view
    seen = [v.clone().tolist() for v in views]
    versions = []
    for i, v in enumerate(views):
        if name in READ_ONLY:
            with pytest.raises(RuntimeError, match="more than one element of the written-to"):
                v.add_(1)
            continue
        v[(0,) * v.ndim] = -1 - i  # one element of each view, written through it
        versions.append(v._version == x._version)
    return x.tolist(), seen, versions


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_view_aliases_its_base_as_pytorch(name):
    ours, theirs = _write_through(latte, name), _write_through(torch, name)
    np.testing.assert_array_equal(ours[0], theirs[0])
    for a, b in zip(ours[1], theirs[1]):
        np.testing.assert_array_equal(a, b)
    assert ours[2] == theirs[2] and all(ours[2])


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_views_share_memory_with_their_base(name):
    shape, fn = VIEWS[name]
    x = _base(latte, shape)
    for v in _pieces(fn(latte, x)):
        assert np.shares_memory(v.numpy(), x.numpy())


MULTIPLE = {"unbind", "split", "split_with_sizes", "chunk"}
AUTOGRAD = sorted(set(VIEWS) - READ_ONLY - MULTIPLE - {"detach", "view_dtype", "real",
                                                       "unfold_overlapping"})


def _grad_through_view_write(lib, name):
    shape, fn = VIEWS[name]
    leaf = lib.tensor(np.linspace(-1.0, 2.0, int(np.prod(shape))).reshape(shape),
                      requires_grad=True)
    w = lib.tensor(np.linspace(0.5, 1.5, int(np.prod(shape))).reshape(shape))
    a = leaf * 1.0
    for v in _pieces(fn(lib, a)):
        v.mul_(v.detach() * 0 + 3.0)
    (a * w * a).sum().backward()
    return leaf.grad.numpy()


@pytest.mark.parametrize("name", AUTOGRAD)
def test_write_through_a_view_of_a_non_leaf_gives_pytorchs_gradient(name):
    np.testing.assert_allclose(_grad_through_view_write(latte, name),
                               _grad_through_view_write(torch, name), rtol=1e-12)


@pytest.mark.parametrize("name", sorted(MULTIPLE))
def test_writes_into_one_of_several_views_raise_like_pytorch(name):
    for lib in (latte, torch):
        shape, fn = VIEWS[name]
        a = lib.ones(shape, requires_grad=True) * 1
        with pytest.raises(RuntimeError, match=r"Output 0 of \w+ is a view and is being modified "
                                               r"inplace. This view is the output of a function "
                                               r"that returns multiple views"):
            fn(lib, a)[0].mul_(2)
        with lib.no_grad():
            fn(lib, a)[0].mul_(2)  # nothing recorded: allowed


@pytest.mark.parametrize("name", ["as_strided", "diagonal_negative_3d", "unfold_overlapping"])
def test_strided_views_have_pytorchs_gradient(name):
    shape, fn = VIEWS[name]
    grads = []
    for lib in (latte, torch):
        x = lib.tensor(np.linspace(-1.0, 2.0, int(np.prod(shape))).reshape(shape),
                       requires_grad=True)
        v = fn(lib, x)
        (v * v).sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)


@pytest.mark.parametrize("name", ["as_strided", "diagonal_negative_3d", "unfold_overlapping"])
def test_strided_views_gradcheck(name):
    shape, fn = VIEWS[name]
    x = latte.tensor(np.linspace(-1.0, 2.0, int(np.prod(shape))).reshape(shape),
                     requires_grad=True)
    assert latte.autograd.gradcheck(lambda t: fn(latte, t * 1.0), [x])
    assert latte.autograd.gradgradcheck(lambda t: fn(latte, t * 1.0), [x])


ERRORS = {
    "view_of_transpose": lambda lib: _base(lib, (4, 3)).t().view(12),
    "view_of_slice": lambda lib: _base(lib, (4, 6))[:, :3].view(12),
    "imag": lambda lib: _base(lib, (3,)).imag,
    "H_of_3d": lambda lib: _base(lib, (2, 3, 4)).H,
    "mT_of_1d": lambda lib: _base(lib, (3,)).mT,
    "mH_of_1d": lambda lib: _base(lib, (3,)).mH,
    "diagonal_same_dims": lambda lib: _base(lib, (3, 4)).diagonal(0, 1, 1),
    "as_strided_out_of_bounds": lambda lib: _base(lib, (6,)).as_strided((3, 3), (3, 1)),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_impossible_views_raise_pytorchs_error(name):
    with pytest.raises(RuntimeError) as theirs:
        ERRORS[name](torch)
    with pytest.raises(RuntimeError) as ours:
        ERRORS[name](latte)
    assert str(ours.value) == str(theirs.value)


def test_storage_offset_matches_pytorch():
    for key in [(slice(1, None),), (slice(None), slice(1, 3)), (2, 1)]:
        assert _base(latte, (3, 4))[key].storage_offset() == \
            _base(torch, (3, 4))[key].storage_offset()


def test_view_of_an_op_result_in_an_internal_layout_works_as_in_pytorch():
    """conv and pooling may return a channels-last array behind an NCHW tensor; PyTorch's
    result is contiguous, so ``view`` must work on it (and on views of it)."""
    x = latte.randn(2, 3, 8, 8)
    y = latte.nn.functional.max_pool2d(latte.nn.Conv2d(3, 4, 3)(x), 2)
    np.testing.assert_array_equal(y.view(2, -1).detach().numpy(),
                                  y.detach().numpy().reshape(2, -1))
    assert tuple(y[0].view(-1).shape) == (4 * 3 * 3,)


def test_contiguous_of_a_permuted_tensor_in_the_graph_is_c_ordered():
    x = latte.randn(2, 3, 4, 5, requires_grad=True)
    y = x.permute(0, 3, 1, 2).contiguous()
    assert y.is_contiguous() and y.stride() == (60, 12, 4, 1)
    assert y.grad_fn.name() == "CloneBackward0"
    y.view(2, -1).sum().backward()  # a view of it needs no copy
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((2, 3, 4, 5)))


def test_view_in_the_same_shape_is_a_new_view_as_in_pytorch():
    w = latte.randn(3, requires_grad=True)
    v = w.view(3)
    assert v is not w and not v.is_leaf and v.grad_fn.name() == "ViewBackward0"
    assert w.view_as(w) is not w
    x = latte.zeros(2, 3)
    x.view(2, 3)[0, 0] = 5.0  # shares memory
    assert x[0, 0].item() == 5.0
