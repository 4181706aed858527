"""Tensor plumbing on the stand-in GPU: moving tensors, factories, device errors, conversion to
host, in-place writes, indexing, ``latte.cuda`` and seeding, each checked as PyTorch behaves.
Runs on real CuPy too (``LATTE_TEST_DEVICE=cupy``): copy counts are checked on the stand-in only,
and tests of ``cuda:1`` skip on a single GPU."""
from __future__ import annotations

import numpy as np
import pytest

import latte
from latte import backend
from latte._cupy_backend import probe

CUDA0, CUDA1, CPU = latte.device("cuda:0"), latte.device("cuda:1"), latte.device("cpu")


@pytest.fixture
def two_gpus(gpu):
    """Skips on a machine with one GPU (the stand-in has two)."""
    if gpu.device_count() < 2:
        pytest.skip("needs a second GPU")


@pytest.fixture
def nogpu():
    """Latte as on a machine without CuPy (skipped where a real GPU library is installed)."""
    found, problem = probe()
    if found is not None:
        pytest.skip("a real GPU library is installed here")
    previous, saved_problem = backend.set_cuda_backend(None), backend._cuda_problem
    backend._cuda_problem = problem
    try:
        yield
    finally:
        backend._cuda_problem = saved_problem
        backend._cuda = previous
        backend._cuda_probed = previous is not None


# --- moving tensors ------------------------------------------------------------------------
def test_to_cuda_and_back_keeps_values(gpu):
    x = latte.tensor([[1.0, 2.0], [3.0, 4.0]])
    g = x.to("cuda")
    assert g.device == CUDA0 and g.is_cuda and g.get_device() == 0
    assert x.device == CPU and not x.is_cuda and x.get_device() == -1
    back = g.cpu()
    assert back.device == CPU
    np.testing.assert_array_equal(back.numpy(), x.numpy())
    if gpu.name == "stand-in":  # CuPy counts no copies
        assert gpu.transfers == {"to_host": 1, "from_host": 1}


def test_cuda_method_and_device_index(gpu, two_gpus):
    x = latte.ones(3)
    assert x.cuda().device == CUDA0
    assert x.cuda(1).device == CUDA1
    assert x.to("cuda:1").device == CUDA1
    assert x.to(latte.device("cuda", 1)).get_device() == 1


def test_to_same_device_is_identity(gpu):
    g = latte.ones(3, device="cuda")
    assert g.to("cuda") is g and g.cuda() is g
    c = latte.ones(3)
    assert c.cpu() is c


def test_to_other_tensor_takes_device_and_dtype(gpu, two_gpus):
    target = latte.zeros(2, dtype=latte.float64, device="cuda:1")
    out = latte.tensor([1, 2]).to(target)
    assert out.device == CUDA1 and out.dtype == latte.float64


def test_move_between_gpus(gpu, two_gpus):
    a = latte.arange(4, device="cuda:0")
    b = a.to("cuda:1")
    assert b.device == CUDA1
    assert b.tolist() == [0, 1, 2, 3]
    with pytest.raises(RuntimeError, match="invalid device ordinal"):
        a.to("cuda:2")


def test_gradient_flows_back_through_to(gpu):
    leaf = latte.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = (leaf.to("cuda") ** 2).sum()
    assert y.device == CUDA0
    y.backward()
    assert leaf.grad.device == CPU
    np.testing.assert_allclose(leaf.grad.numpy(), [2.0, -4.0, 6.0])


# --- factories -------------------------------------------------------------------------------
@pytest.mark.parametrize("make", [
    lambda d: latte.zeros(2, 3, device=d), lambda d: latte.ones(2, device=d),
    lambda d: latte.full((2,), 7.0, device=d), lambda d: latte.arange(5, device=d),
    lambda d: latte.eye(3, device=d), lambda d: latte.linspace(0, 1, 5, device=d),
    lambda d: latte.rand(2, device=d), lambda d: latte.randn(2, device=d),
    lambda d: latte.randint(0, 5, (3,), device=d), lambda d: latte.randperm(4, device=d),
    lambda d: latte.tensor([1.0, 2.0], device=d), lambda d: latte.as_tensor([1, 2], device=d),
    lambda d: latte.empty(2, device=d)], ids=[
    "zeros", "ones", "full", "arange", "eye", "linspace", "rand", "randn", "randint",
    "randperm", "tensor", "as_tensor", "empty"])
def test_factories_place_on_device(gpu, two_gpus, make):
    assert make("cuda:1").device == CUDA1
    assert make(None).device == CPU


def test_like_factories_keep_device(gpu, two_gpus):
    g = latte.ones(2, 3, device="cuda:1")
    for made in (latte.zeros_like(g), latte.ones_like(g), latte.full_like(g, 2.0),
                 latte.rand_like(g), latte.randn_like(g), latte.empty_like(g),
                 g.new_zeros(2), g.new_ones(2), g.new_tensor([1.0]), g.zeros_like()):
        assert made.device == CUDA1
    assert latte.zeros_like(g, device="cpu").device == CPU


def test_seeded_draws_agree_across_devices(gpu):
    latte.manual_seed(3)
    c = latte.randn(4)
    latte.manual_seed(3)
    g = latte.randn(4, device="cuda")
    np.testing.assert_array_equal(g.cpu().numpy(), c.numpy())


def test_set_default_device(gpu):
    latte.set_default_device("cuda")
    try:
        assert latte.zeros(2).device == CUDA0
        assert latte.tensor([1.0]).device == CUDA0
        assert latte.arange(3).device == CUDA0
    finally:
        latte.set_default_device(None)
    assert latte.zeros(2).device == CPU


def test_tensor_of_gpu_tensors(gpu):
    g = latte.tensor(2.0, device="cuda")
    out = latte.tensor([g, latte.tensor(3.0, device="cuda")])
    assert out.tolist() == [2.0, 3.0] and out.device == CPU  # as PyTorch: the default device
    assert latte.tensor(g).device == CUDA0
    assert latte.tensor(g, device="cpu").device == CPU


# --- device errors -----------------------------------------------------------------------
def test_mixing_cpu_and_gpu_raises_naming_both(gpu, two_gpus):
    with pytest.raises(RuntimeError, match="cuda:0 and cpu"):
        latte.ones(2, device="cuda") + latte.ones(2)
    with pytest.raises(RuntimeError, match="cuda:0 and cuda:1"):
        latte.ones(2, device="cuda:0") * latte.ones(2, device="cuda:1")


def test_zero_dim_cpu_tensor_mixes(gpu):
    out = latte.ones(3, device="cuda") * latte.tensor(2.0)
    assert out.device == CUDA0 and out.tolist() == [2.0, 2.0, 2.0]


def test_numpy_of_gpu_tensor_raises(gpu):
    g = latte.ones(2, device="cuda")
    message = "can't convert cuda:0 device type tensor to numpy"
    with pytest.raises(TypeError, match=message):
        g.numpy()
    with pytest.raises(TypeError, match=message):
        np.asarray(g)


def test_repr_names_device(gpu, two_gpus):
    assert repr(latte.tensor([1.0, 2.0], device="cuda")) == \
        "tensor([1., 2.], device='cuda:0')"
    assert repr(latte.tensor([1.0], device="cuda:1", requires_grad=True)) == \
        "tensor([1.], device='cuda:1', requires_grad=True)"
    assert "device" not in repr(latte.tensor([1.0]))


def test_item_and_tolist(gpu):
    g = latte.tensor([[1.5, 2.0]], device="cuda")
    assert g.tolist() == [[1.5, 2.0]]
    assert g[0, 0].item() == 1.5 and float(g.sum()) == 3.5
    assert bool(g.sum() > 3)


# --- in place --------------------------------------------------------------------------------
def test_inplace_ops_stay_on_device(gpu):
    g = latte.ones(3, device="cuda")
    g.add_(1.0).mul_(latte.tensor(2.0, device="cuda")).sub_(latte.tensor(1.0))
    g[1] = 7.0
    g[[0]] += 1.0
    assert g.device == CUDA0 and g.tolist() == [4.0, 7.0, 3.0]
    with pytest.raises(RuntimeError, match="cuda:0 and cpu"):
        g.add_(latte.ones(3))


def test_copy_accepts_source_on_another_device(gpu, two_gpus):
    g = latte.zeros(3, device="cuda")
    g.copy_(latte.tensor([1.0, 2.0, 3.0]))
    assert g.device == CUDA0 and g.tolist() == [1.0, 2.0, 3.0]
    c = latte.zeros(3)
    c.copy_(latte.tensor([4.0, 5.0, 6.0], device="cuda:1"))
    assert c.device == CPU and c.tolist() == [4.0, 5.0, 6.0]
    g.copy_(latte.tensor([7.0, 8.0, 9.0], device="cuda:1"))
    assert g.device == CUDA0 and g.tolist() == [7.0, 8.0, 9.0]


# --- indexing --------------------------------------------------------------------------------
def test_index_with_gpu_tensor_and_list(gpu):
    g = latte.arange(10.0, device="cuda") * 2
    idx = latte.tensor([3, 1], device="cuda")
    assert g[idx].device == CUDA0 and g[idx].tolist() == [6.0, 2.0]
    assert g[[0, 4]].tolist() == [0.0, 8.0]
    m = latte.arange(6, device="cuda").reshape(2, 3)
    assert m[idx - 2, latte.tensor([2, 0], device="cuda")].tolist() == [5, 3]
    assert m[:, [2, 0]].tolist() == [[2, 0], [5, 3]]


def test_boolean_mask_indexing(gpu):
    g = latte.tensor([1.0, -2.0, 3.0], device="cuda")
    assert g[g > 0].tolist() == [1.0, 3.0]
    g[g < 0] = 0.0
    assert g.tolist() == [1.0, 0.0, 3.0]


def test_gradient_through_gpu_indexing(gpu):
    x = latte.tensor([1.0, 2.0, 3.0], device="cuda", requires_grad=True)
    x[latte.tensor([0, 0, 2], device="cuda")].sum().backward()
    assert x.grad.device == CUDA0 and x.grad.tolist() == [2.0, 0.0, 1.0]


# --- latte.cuda -----------------------------------------------------------------------------
def test_cuda_module_with_standin(gpu, two_gpus):
    assert latte.cuda.is_available() and latte.cuda.device_count() == gpu.device_count()
    assert latte.cuda.current_device() == 0
    assert latte.cuda.get_device_name() == gpu.device_name(0)
    latte.cuda.set_device(1)
    try:
        assert latte.cuda.current_device() == 1
        assert latte.ones(1, device="cuda").device == CUDA1
        latte.cuda.synchronize()
    finally:
        latte.cuda.set_device(0)


def test_cuda_module_without_gpu(nogpu):
    assert not latte.cuda.is_available() and latte.cuda.device_count() == 0
    latte.cuda.synchronize()  # a no-op, as on a CPU-only PyTorch
    latte.cuda.manual_seed(0)
    with pytest.raises(RuntimeError, match=r"latte\[cuda12\]"):
        latte.ones(2).to("cuda")
    with pytest.raises(RuntimeError, match=r"latte\[cuda12\]"):
        latte.zeros(2, device="cuda")
    with pytest.raises(RuntimeError, match=r"latte\[cuda12\]"):
        latte.cuda.current_device()


def test_manual_seed_repeats_gpu_dropout(gpu):
    x = latte.ones(64, device="cuda")
    latte.manual_seed(0)
    first = latte.nn.functional.dropout(x, 0.5, training=True)
    latte.manual_seed(0)
    again = latte.nn.functional.dropout(x, 0.5, training=True)
    other = latte.nn.functional.dropout(x, 0.5, training=True)
    assert first.device == CUDA0
    assert first.tolist() == again.tolist() != other.tolist()
    if gpu.name == "stand-in":
        assert gpu.transfers["from_host"] == 0  # the masks are drawn on the device


def test_work_on_a_gpu_that_is_not_current(gpu, two_gpus):
    gpu.strict_current = True  # as CuPy: kernels only run on the current GPU
    x = latte.tensor([3.0, -1.0, 2.0], device="cuda:1", requires_grad=True)
    y = (x * 2).clone()
    assert (y > 0).tolist() == [True, False, True] and y.argsort().tolist() == [1, 2, 0]
    loss = y[y > 0].sum() + y[[0, 2]].sum() + x.sort()[0][0]
    loss.backward()
    assert x.grad.device == CUDA1 and x.grad.tolist() == [4.0, 1.0, 4.0]
    z = x.detach().clone()
    z.add_(1.0).mul_(latte.tensor(2.0))
    z[0] = 0.0
    z.copy_(z + latte.ones(3, device="cuda:1"))
    assert z.tolist() == [1.0, 1.0, 7.0] and "cuda:1" in repr(z)
    assert latte.cuda.current_device() == 0


def test_random_fills_in_place_on_gpu(gpu, two_gpus):
    latte.manual_seed(1)
    w = latte.empty(4, device="cuda:1").uniform_(-1.0, 1.0)
    latte.manual_seed(1)
    c = latte.empty(4).uniform_(-1.0, 1.0)
    assert w.device == CUDA1 and w.tolist() == c.tolist()
    assert latte.zeros(3, device="cuda").normal_().device == CUDA0


def test_data_dependent_shapes_on_gpu(gpu, two_gpus):
    g = latte.tensor([[0.0, 2.0], [3.0, 0.0]], device="cuda:1")
    gpu.strict_current = True
    found = g.nonzero()
    assert found.device == CUDA1 and found.tolist() == [[0, 1], [1, 0]]
    rows, cols = latte.where(g > 0)
    assert rows.device == CUDA1 and cols.tolist() == [1, 0]
    values, counts = latte.tensor([2, 1, 2], device="cuda:1").unique(return_counts=True)
    assert values.device == CUDA1 and values.tolist() == [1, 2] and counts.tolist() == [1, 2]
    assert g.masked_select(g > 1).tolist() == [2.0, 3.0]


def test_reductions_without_gradient_on_second_gpu(gpu, two_gpus):
    g = latte.tensor([[1.0, 5.0], [7.0, 2.0]], device="cuda:1")
    gpu.strict_current = True
    for out, expected in ((g.argmax(), 2), (g.argmin(dim=1), [0, 1]), ((g > 1).all(), False),
                          ((g > 1).any(dim=0), [True, True]), (g.max(), 7.0)):
        assert out.device == CUDA1 and out.tolist() == expected


def test_zero_dim_cpu_tensor_gets_its_gradient_on_the_cpu(gpu):
    scale = latte.tensor(2.0, requires_grad=True)
    g = latte.ones(3, device="cuda", requires_grad=True)
    (g * scale + scale * 3.0).sum().backward()
    assert scale.grad.device == CPU and scale.grad.item() == 12.0
    assert g.grad.device == CUDA0 and g.grad.tolist() == [2.0, 2.0, 2.0]


def test_view_as_another_dtype_stays_on_gpu(gpu):
    bits = latte.tensor([1.0], device="cuda").view(latte.int32)
    assert bits.device == CUDA0 and bits.tolist() == [1065353216]


def test_factories_on_a_gpu_that_is_not_current(gpu, two_gpus):
    gpu.strict_current = True
    g = latte.full((2,), 3.0, device="cuda:1")
    assert g.tolist() == [3.0, 3.0] and g.new_full((1,), 2.0).device == CUDA1
    assert latte.full_like(g, 1.0).device == CUDA1 and latte.eye(2, device="cuda:1").sum() == 2
