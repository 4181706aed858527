"""Sparse COO tensors (latte.sparse): construction, structure, products, sums, gradients, errors
and printing, against hard-coded values and, where installed, PyTorch."""
import io
import pickle

import numpy as np
import pytest

import latte
from latte.autograd import gradcheck

INDICES = [[0, 1, 1], [2, 0, 2]]
VALUES = [3., 4., 5.]
DENSE = np.array([[0., 0., 3.], [4., 0., 5.]], dtype=np.float32)


def coo(values=VALUES, indices=INDICES, size=(2, 3), **kwargs):
    return latte.sparse_coo_tensor(indices, values, size, **kwargs)


def duplicated():
    """Uncoalesced: two entries at (0, 1)."""
    return latte.sparse_coo_tensor([[0, 0, 1], [1, 1, 0]], [1., 2., 3.], (2, 2))


def rand(*shape, seed=0, dtype=np.float64):
    return np.random.RandomState(seed).standard_normal(shape).astype(dtype)


# --- the type and its attributes ----------------------------------------------------------
def test_attributes():
    s = coo()
    assert isinstance(s, latte.Tensor) and s.is_sparse and s.layout == latte.sparse_coo
    assert s.shape == (2, 3) and s.size() == (2, 3) and s.size(1) == 3 and s.dim() == 2
    assert s.dtype == latte.float32 and s.device == latte.device("cpu")
    assert s.sparse_dim() == 2 and s.dense_dim() == 0 and s._nnz() == 3 and s.numel() == 6
    assert not s.requires_grad and s.is_leaf and s.grad is None and s.grad_fn is None
    assert s._indices().dtype == latte.int64 and s._indices().shape == (2, 3)
    assert not latte.eye(2).is_sparse and latte.eye(2).layout == latte.strided


def test_memory_is_nnz_not_dense():
    n = 100_000  # a dense (n, n) float32 would be 40 GB
    s = latte.sparse_coo_tensor([[0, n - 1], [n - 1, 0]], [1., 2.], (n, n))
    assert s.shape == (n, n) and s._indices().shape == (2, 2) and s._values().shape == (2,)
    out = latte.sparse.mm(s, latte.ones(n, 1))
    assert out.shape == (n, 1) and float(out.sum()) == 3.0


def test_size_inference_and_dtype():
    s = latte.sparse_coo_tensor(INDICES, VALUES)
    assert s.shape == (2, 3)
    hybrid = latte.sparse_coo_tensor(INDICES, latte.ones(3, 2))
    assert hybrid.shape == (2, 3, 2) and hybrid.sparse_dim() == 2 and hybrid.dense_dim() == 1
    assert latte.sparse_coo_tensor([[0, 1], [1, 0]], [1, 2]).dtype == latte.int64
    assert coo(dtype=latte.float64).dtype == latte.float64
    assert coo(dtype=latte.int64).dtype == latte.int64
    assert latte.sparse_coo_tensor(latte.tensor(INDICES, dtype=latte.int32), VALUES,
                                   (2, 3))._indices().dtype == latte.int64


def test_indices_values_need_coalesced():
    s = coo()
    assert not s.is_coalesced()
    with pytest.raises(RuntimeError, match="Cannot get indices on an uncoalesced tensor"):
        s.indices()
    with pytest.raises(RuntimeError, match="Cannot get values on an uncoalesced tensor"):
        s.values()
    c = s.coalesce()
    assert c.is_coalesced() and c.coalesce() is c
    np.testing.assert_array_equal(c.indices().numpy(), INDICES)
    assert coo(is_coalesced=True).is_coalesced()
    assert latte.sparse_coo_tensor(latte.zeros(2, 0, dtype=latte.int64), latte.zeros(0),
                                   (2, 2)).is_coalesced()


def test_coalesce_sums_duplicates_and_sorts():
    s = latte.sparse_coo_tensor([[1, 0, 0, 1], [0, 1, 1, 0]], [1., 2., 3., 4.], (2, 2))
    c = s.coalesce()
    np.testing.assert_array_equal(c.indices().numpy(), [[0, 1], [1, 0]])
    np.testing.assert_array_equal(c.values().numpy(), [5., 5.])
    np.testing.assert_array_equal(s.to_dense().numpy(), [[0., 5.], [5., 0.]])


def test_to_dense_and_to_sparse_round_trip():
    np.testing.assert_array_equal(coo().to_dense().numpy(), DENSE)
    dense = latte.tensor(DENSE)
    s = dense.to_sparse()
    assert s.is_coalesced() and s._nnz() == 3
    np.testing.assert_array_equal(s.indices().numpy(), [[0, 1, 1], [2, 0, 2]])
    np.testing.assert_array_equal(s.values().numpy(), [3., 4., 5.])
    np.testing.assert_array_equal(dense.to_sparse_coo().to_dense().numpy(), DENSE)
    rows = latte.ones(2, 3).to_sparse(1)
    assert rows.sparse_dim() == 1 and rows._values().shape == (2, 3)
    assert latte.zeros(3).to_sparse()._nnz() == 0
    assert s.to_sparse() is s


def test_conversions():
    s = coo()
    assert s.double().dtype == latte.float64 and s.double().is_sparse
    assert s.to(latte.float64).dtype == latte.float64 and s.float() is s
    assert s.to("cpu") is s and s.to(latte.device("cpu")) is s
    t = s.t()
    assert t.shape == (3, 2) and not t.is_coalesced()
    np.testing.assert_array_equal(t.to_dense().numpy(), DENSE.T)
    np.testing.assert_array_equal(s.transpose(0, 1).to_dense().numpy(), DENSE.T)
    c = s.clone()
    assert c._indices() is not s._indices()
    np.testing.assert_array_equal(c.to_dense().numpy(), DENSE)
    d = coo(requires_grad=True).detach()
    assert not d.requires_grad and d.is_sparse


def test_arithmetic():
    s = coo()
    np.testing.assert_array_equal((s * 2).to_dense().numpy(), DENSE * 2)
    np.testing.assert_array_equal((2 * s).to_dense().numpy(), DENSE * 2)
    np.testing.assert_array_equal((s / 2).to_dense().numpy(), DENSE / 2)
    np.testing.assert_array_equal((-s).to_dense().numpy(), -DENSE)
    total = s + s
    assert total.is_sparse
    np.testing.assert_array_equal(total.to_dense().numpy(), DENSE * 2)
    assert (s.coalesce() + s.coalesce()).is_coalesced()
    np.testing.assert_array_equal((s - s).to_dense().numpy(), np.zeros((2, 3)))
    both = latte.ones(2, 3) + s
    assert not both.is_sparse
    np.testing.assert_array_equal(both.numpy(), DENSE + 1)
    np.testing.assert_array_equal((s * latte.tensor(DENSE)).to_dense().numpy(), DENSE ** 2)


def test_dense_plus_int_sparse_is_float():
    adj = coo(latte.ones(3), dtype=latte.int64)
    out = latte.eye(2, 3) + adj
    assert out.dtype == latte.float32 and not out.is_sparse
    np.testing.assert_array_equal(out.numpy(), [[1., 0., 1.], [1., 1., 1.]])


def test_products():
    s, d = coo(), rand(3, 2, dtype=np.float32)
    expected = DENSE @ d
    for out in (s @ latte.tensor(d), latte.mm(s, latte.tensor(d)), latte.spmm(s, latte.tensor(d)),
                latte.sparse.mm(s, latte.tensor(d)), latte.matmul(s, latte.tensor(d)),
                s.mm(latte.tensor(d))):
        assert not out.is_sparse
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)
    left = rand(4, 2, dtype=np.float32)
    for out in (latte.tensor(left) @ s, latte.mm(latte.tensor(left), s),
                latte.matmul(latte.tensor(left), s), latte.sparse.mm(latte.tensor(left), s)):
        np.testing.assert_allclose(out.numpy(), left @ DENSE, rtol=1e-6)
    np.testing.assert_allclose((s @ latte.ones(3)).numpy(), DENSE.sum(1))
    np.testing.assert_allclose(duplicated().mm(latte.eye(2)).numpy(), [[0., 3.], [3., 0.]])
    np.testing.assert_allclose(
        latte.sparse.addmm(latte.ones(2, 2), s, latte.tensor(d), beta=2, alpha=3).numpy(),
        2 + 3 * expected, rtol=1e-6)


def test_sums():
    s = coo()
    assert float(latte.sum(s)) == 12.0 and not s.sum().is_sparse
    assert s.sum(dtype=latte.float64).dtype == latte.float64
    rows = latte.sparse.sum(s, 1)
    assert rows.is_sparse and rows.shape == (2,)
    np.testing.assert_array_equal(rows.to_dense().numpy(), [3., 9.])
    np.testing.assert_array_equal(s.sum(0).to_dense().numpy(), [4., 0., 8.])
    full = latte.sparse.sum(s, (0, 1))
    assert not full.is_sparse and float(full) == 12.0
    assert float(latte.sparse.sum(s)) == 12.0
    hybrid = latte.sparse_coo_tensor(INDICES, latte.ones(3, 2))
    np.testing.assert_array_equal(latte.sparse.sum(hybrid, 2).to_dense().numpy(),
                                  [[0., 0., 2.], [2., 0., 2.]])


def test_softmax():
    s = coo()
    np.testing.assert_allclose(latte.sparse.softmax(s, 1).values().numpy(),
                               [1.0, 0.268941, 0.731059], rtol=1e-5)
    np.testing.assert_allclose(latte.sparse.log_softmax(s, 1).values().numpy(),
                               [0.0, -1.313262, -0.313262], rtol=1e-5, atol=1e-6)


# --- gradients ----------------------------------------------------------------------------
def test_gradcheck_sparse_times_dense():
    values = latte.tensor(rand(4, seed=1), requires_grad=True)
    dense = latte.tensor(rand(3, 2, seed=2), requires_grad=True)
    index = [[0, 1, 1, 0], [2, 0, 2, 2]]  # a duplicate at (0, 2)

    def product(v, d):
        return latte.sparse.mm(latte.sparse_coo_tensor(index, v, (2, 3)), d)
    assert gradcheck(product, (values, dense))


def test_gradcheck_dense_times_sparse():
    values = latte.tensor(rand(3, seed=3), requires_grad=True)
    dense = latte.tensor(rand(4, 2, seed=4), requires_grad=True)
    assert gradcheck(lambda v, d: d @ latte.sparse_coo_tensor(INDICES, v, (2, 3)),
                     (values, dense))


def test_gradcheck_values_through_structure_ops():
    values = latte.tensor(rand(3, seed=5), requires_grad=True)

    def chain(v):
        s = latte.sparse_coo_tensor([[0, 0, 1], [1, 1, 0]], v, (2, 2)).coalesce()
        return (s * 2 + s.t()).to_dense() + latte.sparse.sum(s, 0).to_dense()
    assert gradcheck(chain, (values,))
    assert gradcheck(lambda v: latte.sparse.log_softmax(
        latte.sparse_coo_tensor(INDICES, v, (2, 3)), 1).coalesce().values(), (values,))
    dense = latte.tensor(rand(2, 3, seed=6), requires_grad=True)
    assert gradcheck(lambda d: d.to_sparse().to_dense() * 3, (dense,))


def test_second_derivative_through_spmm():
    values = latte.tensor(rand(3, seed=7), requires_grad=True)
    dense = latte.tensor(rand(3, 2, seed=8), requires_grad=True)
    out = (latte.sparse.mm(latte.sparse_coo_tensor(INDICES, values, (2, 3)), dense) ** 2).sum()
    (g,) = latte.autograd.grad(out, dense, create_graph=True)
    assert g.requires_grad
    g.sum().backward()
    assert values.grad is not None


def test_sparse_leaf_gets_sparse_grad():
    s = coo(requires_grad=True)
    assert s.requires_grad and s.is_leaf
    dense = latte.ones(3, 2)
    latte.mm(s, dense).sum().backward()
    assert s.grad.is_sparse
    np.testing.assert_array_equal(s.grad._values().numpy(), [2., 2., 2.])
    s2 = coo().requires_grad_()
    s2.to_dense().sum().backward()
    np.testing.assert_array_equal(s2.grad.to_dense().numpy(), (DENSE != 0).astype(np.float32))


# --- errors -------------------------------------------------------------------------------
def test_construction_errors():
    with pytest.raises(RuntimeError, match="size is inconsistent with indices: for dim 0, "
                                           "size is 1 but found index 1"):
        coo(size=(1, 3))
    with pytest.raises(RuntimeError, match="found negative index -1 for dim 0"):
        latte.sparse_coo_tensor([[0, -1]], [1., 2.])
    with pytest.raises(RuntimeError, match="indices and values must have same nnz, but got "
                                           "nnz from indices: 3, nnz from values: 4"):
        latte.sparse_coo_tensor(INDICES, latte.ones(4), (2, 3))
    with pytest.raises(RuntimeError, match=r"'len\(size\) == sparse_dim \+ dense_dim' is not "
                                           r"satisfied: len\(size\) = 1, sparse_dim = 2"):
        coo(size=(2,))
    with pytest.raises(RuntimeError, match=r"indices must be sparse_dim x nnz, but got: \[2\]"):
        latte.sparse_coo_tensor([0, 1], [1., 2.])


def test_op_errors():
    s = coo()
    with pytest.raises(RuntimeError, match=r"add\(sparse, dense\) is not supported"):
        s + latte.ones(2, 3)
    with pytest.raises(RuntimeError, match="addmm: Argument #3 \\(dense\\): Expected dim 0 "
                                           "size 3, got 4"):
        latte.mm(s, latte.ones(4, 2))
    with pytest.raises(RuntimeError, match="expected scalar type Float but found Double"):
        s @ latte.ones(3, 2, dtype=latte.float64)
    with pytest.raises(RuntimeError, match="to have same size"):
        s + coo(size=(3, 3))


@pytest.mark.parametrize("call, op", [
    (lambda s: latte.exp(s), "exp"), (lambda s: s.view(-1), "view"), (lambda s: s.mean(), "mean"),
    (lambda s: s.numpy(), "numpy"), (lambda s: s == s, "eq"), (lambda s: s[0], "getitem"),
    (lambda s: s.relu(), "relu"), (lambda s: s.reshape(3, 2), "reshape"),
])
def test_dense_ops_raise_not_implemented(call, op):
    with pytest.raises(NotImplementedError, match=f"Could not run 'aten::{op}' with arguments "
                                                  f"from the 'SparseCPU' backend"):
        call(coo())


def test_dense_ops_reaching_the_array_raise():
    with pytest.raises(NotImplementedError, match="'SparseCPU' backend"):
        latte.cat([coo(), coo()])
    with pytest.raises(NotImplementedError, match="'SparseCPU' backend"):
        latte.nn.functional.relu(coo())


# --- printing and pickling ----------------------------------------------------------------
def test_repr():
    assert repr(coo()) == (
        "tensor(indices=tensor([[0, 1, 1],\n"
        "                       [2, 0, 2]]),\n"
        "       values=tensor([3., 4., 5.]),\n"
        "       size=(2, 3), nnz=3, layout=latte.sparse_coo)")
    assert repr(coo(dtype=latte.float64, requires_grad=True)) == (
        "tensor(indices=tensor([[0, 1, 1],\n"
        "                       [2, 0, 2]]),\n"
        "       values=tensor([3., 4., 5.]),\n"
        "       size=(2, 3), nnz=3, dtype=latte.float64, layout=latte.sparse_coo,\n"
        "       requires_grad=True)")
    empty = latte.sparse_coo_tensor(latte.zeros(2, 0, dtype=latte.int64), latte.zeros(0), (2, 2))
    assert repr(empty) == ("tensor(indices=tensor([], size=(2, 0)),\n"
                           "       values=tensor([], size=(0,)),\n"
                           "       size=(2, 2), nnz=0, layout=latte.sparse_coo)")
    hybrid = latte.sparse_coo_tensor(INDICES, latte.ones(3, 2), (2, 3, 2))
    assert "values=tensor([[1., 1.],\n                      [1., 1.]," in repr(hybrid)


def test_pickle_round_trip():
    s = coo()
    back = pickle.loads(pickle.dumps(s))
    assert back.is_sparse and back.shape == (2, 3)
    np.testing.assert_array_equal(back.to_dense().numpy(), DENSE)


def test_save_load():
    s = duplicated()
    buffer = io.BytesIO()
    latte.save({"adj": s}, buffer)
    buffer.seek(0)
    back = latte.load(buffer)["adj"]
    assert back.is_sparse and not back.is_coalesced()
    np.testing.assert_array_equal(back.to_dense().numpy(), s.to_dense().numpy())


# --- parity with PyTorch ------------------------------------------------------------------
def test_parity_with_torch():
    torch = pytest.importorskip("torch")
    index = [[0, 1, 1, 0, 2], [2, 0, 2, 2, 1]]
    v, d, left = rand(5, seed=9), rand(3, 4, seed=10), rand(3, 3, seed=11)
    lv, ld = latte.tensor(v, requires_grad=True), latte.tensor(d, requires_grad=True)
    tv, td = torch.tensor(v, requires_grad=True), torch.tensor(d, requires_grad=True)
    ls = latte.sparse_coo_tensor(index, lv, (3, 3))
    ts = torch.sparse_coo_tensor(torch.tensor(index), tv, (3, 3), check_invariants=True)
    lo = latte.spmm(ls, ld) * 2 + latte.tensor(left) @ ls.t() @ ld
    to = torch.spmm(ts, td) * 2 + torch.tensor(left) @ ts.t() @ td
    np.testing.assert_allclose(lo.detach().numpy(), to.detach().numpy(), rtol=1e-10)
    weight = rand(*to.shape, seed=12)
    (lo * latte.tensor(weight)).sum().backward()
    (to * torch.tensor(weight)).sum().backward()
    np.testing.assert_allclose(lv.grad.numpy(), tv.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(ld.grad.numpy(), td.grad.numpy(), rtol=1e-10)
    lc, tc = ls.coalesce(), ts.coalesce()
    np.testing.assert_array_equal(lc.indices().numpy(), tc.indices().numpy())
    np.testing.assert_allclose(lc.values().detach().numpy(), tc.values().detach().numpy())
    for dim in (0, 1):
        np.testing.assert_allclose(latte.sparse.sum(ls, dim).to_dense().detach().numpy(),
                                   torch.sparse.sum(ts, dim).to_dense().detach().numpy())
        np.testing.assert_allclose(
            latte.sparse.softmax(ls, dim).to_dense().detach().numpy(),
            torch.sparse.softmax(ts, dim).to_dense().detach().numpy(), rtol=1e-10)


def test_gcn_data_path_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.RandomState(0)
    content = (rng.rand(12, 6) < 0.3).astype(np.int32)
    content[2] = 0
    edges = rng.randint(0, 12, (20, 2)).astype(np.int32)

    def pipeline(t):
        features = t.FloatTensor(content.astype(np.int32))
        scale = 1 / t.sum(features, dim=1)
        scale[scale == float("inf")] = 0
        features = t.diag(scale).to_sparse() @ features
        adj = t.sparse_coo_tensor(edges.T, t.ones(len(edges)), (12, 12), dtype=t.int64)
        adj = t.eye(12) + adj
        degree = t.sqrt(1 / t.sum(adj, dim=1))
        degree[degree == float("inf")] = 0
        degree = t.diag(degree).to_sparse()
        adj = degree @ adj @ degree
        return features.to_sparse(), adj.to_sparse()

    (lf, la), (tf, ta) = pipeline(latte), pipeline(torch)
    for ours, theirs in ((lf, tf), (la, ta)):
        assert ours.is_sparse and ours._nnz() == theirs._nnz()
        np.testing.assert_array_equal(ours.indices().numpy(), theirs.indices().numpy())
        np.testing.assert_allclose(ours.values().numpy(), theirs.values().numpy(), rtol=1e-6)


def test_checkpoint_loads_in_torch_and_back(tmp_path):
    torch = pytest.importorskip("torch")
    latte.save({"adj": duplicated()}, tmp_path / "latte.pt")
    theirs = torch.load(tmp_path / "latte.pt")["adj"]
    assert theirs.layout == torch.sparse_coo and not theirs.is_coalesced()
    np.testing.assert_array_equal(theirs.to_dense().numpy(), [[0., 3.], [3., 0.]])
    torch.save({"adj": theirs.coalesce()}, tmp_path / "torch.pt")
    ours = latte.load(tmp_path / "torch.pt")["adj"]
    assert ours.is_sparse and ours.is_coalesced()
    np.testing.assert_array_equal(ours.indices().numpy(), [[0, 1], [1, 0]])
