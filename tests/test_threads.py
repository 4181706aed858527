"""The elementwise thread pool: every element once, errors raised, same numbers at any count."""
import sys
import threading

import numpy as np
import pytest

import latte
from latte import _threads
from latte.ops import erf_arrays


@pytest.fixture
def threads():
    previous = latte.get_num_threads()
    yield latte.set_num_threads
    latte.set_num_threads(previous)


@pytest.mark.parametrize("count", [1, 2, 3, 7])
@pytest.mark.parametrize("size", [0, 5, 1000, 1001])
def test_spans_cover_every_element_once(threads, count, size):
    threads(count)
    hits = np.zeros(size, dtype=np.int64)
    spans = []

    def body(lo, hi):
        hits[lo:hi] += 1
        spans.append(hi - lo)

    _threads.run_spans(body, size, min_span=100)
    assert (hits == 1).all()
    assert len(spans) == max(1, min(count, size // 100))


def test_spans_run_on_several_threads(threads):
    threads(2)
    names = set()
    barrier = threading.Barrier(2, timeout=10)

    def body(lo, hi):
        names.add(threading.current_thread().name)
        barrier.wait()  # both spans at once, or this times out

    _threads.run_spans(body, 10, min_span=1)
    assert len(names) == 2


def test_nested_call_runs_serially_inside_the_pool(threads):
    threads(2)
    inner_spans = []

    def inner(lo, hi):
        inner_spans.append((lo, hi))

    def outer(lo, hi):
        if lo > 0:  # the pool's span
            _threads.run_spans(inner, 100, min_span=1)

    _threads.run_spans(outer, 10, min_span=1)
    assert inner_spans == [(0, 100)]


def test_error_of_a_span_is_raised_after_all_spans(threads):
    threads(3)
    done = []

    def body(lo, hi):
        if lo > 0 and not done:
            done.append(lo)
            raise ValueError(f"span at {lo}")
        done.append(lo)

    with pytest.raises(ValueError, match="span at"):
        _threads.run_spans(body, 30, min_span=1)
    assert len(done) == 3


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_set_num_threads_refuses_non_positive_integers(threads, bad):
    with pytest.raises(RuntimeError, match="positive integer"):
        latte.set_num_threads(bad)


@pytest.mark.parametrize("fn", [erf_arrays.erf_array, erf_arrays.erfc_array,
                                erf_arrays.gelu_array, erf_arrays.gelu_grad_array,
                                erf_arrays.erfinv_array])
def test_threaded_kernels_give_the_serial_numbers(threads, fn):
    x = np.random.default_rng(0).standard_normal(300_001).astype(np.float32)
    if fn is erf_arrays.erfinv_array:
        x = np.tanh(x)
    threads(1)
    serial = fn(x)
    threads(2)
    np.testing.assert_array_equal(fn(x), serial)


def _blas_threads() -> list:
    """The BLAS thread counts: threadpoolctl's view, else the bundled OpenBLAS's own getter."""
    try:
        import threadpoolctl
    except ImportError:
        return _openblas_threads()
    return [i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]


def _openblas_threads() -> list:
    import ctypes
    import glob
    import os
    counts = []
    for path in glob.glob(os.path.join(os.path.dirname(np.__file__) + ".libs", "*openblas*")):
        lib = ctypes.CDLL(path)
        getter = getattr(lib, "scipy_openblas_get_num_threads64_", None) or getattr(
            lib, "openblas_get_num_threads", None)
        if getter is not None:
            counts.append(getter())
    return counts


def test_set_num_threads_limits_numpys_blas_as_pytorch_limits_its_own(threads):
    before = _blas_threads()
    if not before:
        pytest.skip("NumPy's BLAS is neither seen by threadpoolctl nor a bundled OpenBLAS")
    threads(1)
    assert _blas_threads() == [1] * len(before)
    threads(2)
    assert _blas_threads() == [2] * len(before)


def test_without_threadpoolctl_the_bundled_openblas_setter_is_used(threads, monkeypatch):
    if not _openblas_threads():
        pytest.skip("NumPy is not built on a bundled OpenBLAS here")
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)  # import fails: the ctypes path
    threads(1)
    assert _openblas_threads() == [1]
    threads(2)
    assert _openblas_threads() == [2]


# --- run_tasks: many small products, each on one BLAS thread ---------------------------------
@pytest.mark.parametrize("count", [0, 1, 2, 9])
@pytest.mark.parametrize("n", [1, 2, 3])
def test_tasks_give_every_result_in_order(threads, n, count):
    threads(n)
    ran = []
    assert _threads.run_tasks(lambda i: ran.append(i) or i * i, count) == \
        [i * i for i in range(count)]
    assert sorted(ran) == list(range(count))


def test_tasks_run_on_several_threads_with_one_blas_thread_each(threads):
    if not _openblas_threads():
        pytest.skip("NumPy is not built on a bundled OpenBLAS here")
    threads(2)
    seen = []
    barrier = threading.Barrier(2, timeout=10)

    def body(i):
        seen.append((threading.current_thread().name, _openblas_threads()[0]))
        barrier.wait()  # two tasks at once, or this times out
    _threads.run_tasks(body, 2)
    assert len({name for name, _ in seen}) == 2 and [b for _, b in seen] == [1, 1]
    assert _openblas_threads() == [2]  # given back


def test_blas_holds_nest_and_give_the_count_back(threads):
    if not _openblas_threads():
        pytest.skip("NumPy is not built on a bundled OpenBLAS here")
    threads(2)
    with _threads.one_blas_thread() as held:
        assert held and _openblas_threads() == [1]
        with _threads.one_blas_thread():
            assert _openblas_threads() == [1]
        assert _openblas_threads() == [1]  # the outer hold still runs
    assert _openblas_threads() == [2]


def test_tasks_without_blas_control_run_in_order_on_the_caller(threads, monkeypatch):
    threads(2)
    monkeypatch.setitem(_threads._state, "openblas", None)  # another BLAS: no thread setter
    names = []
    assert _threads.run_tasks(lambda i: names.append(threading.current_thread().name) or i,
                              4) == [0, 1, 2, 3]
    assert names == [threading.current_thread().name] * 4


def test_error_of_a_task_is_raised_and_the_blas_count_restored(threads):
    threads(2)
    before = _openblas_threads()

    def body(i):
        if i == 3:
            raise ValueError("task 3")
        return i
    with pytest.raises(ValueError, match="task 3"):
        _threads.run_tasks(body, 6)
    assert _openblas_threads() == before


def test_conv_results_do_not_depend_on_the_thread_count(threads):
    """The batch chunks are cut on one grid and the weight gradient's partial sums are added
    in chunk order, so one thread and two give the same bits."""
    rng = np.random.default_rng(0)
    x = latte.tensor(rng.standard_normal((9, 6, 12, 12), dtype=np.float32), requires_grad=True)
    w = latte.tensor(rng.standard_normal((8, 6, 3, 3), dtype=np.float32), requires_grad=True)
    results = []
    for n in (1, 2):
        threads(n)
        for stride in (1, 2):
            x.grad = w.grad = None
            out = latte.nn.functional.conv2d(x, w, stride=stride, padding=1)
            out.square().sum().backward()
            results.append((n, stride, out.detach().numpy(), x.grad.numpy(), w.grad.numpy()))
    for one, two in zip(results[:2], results[2:]):
        for a, b in zip(one[2:], two[2:]):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("shape", [(300, 200, 150), (40, 300, 900), (1, 1, 1), (0, 5, 7),
                                   (6, 0, 4), (5, 3, 0)])
def test_matmul_blocks_give_numpys_product_at_any_thread_count(threads, shape, monkeypatch):
    """``matmul_2d`` cuts a large product into row blocks (column blocks when ``b`` is the
    wider), each on one BLAS thread: NumPy's product, and the same bits on one thread or two."""
    from latte.ops import linalg
    monkeypatch.setattr(linalg, "_BLOCK_PRODUCTS", 1 << 14)  # small products cut too
    m, k, n = shape
    rng = np.random.default_rng(1)
    a = rng.standard_normal((m, k), dtype=np.float32)
    b = rng.standard_normal((n, k), dtype=np.float32).T  # a transposed view, as w.T
    results = []
    for count in (1, 2):
        threads(count)
        got = linalg.matmul_2d(a, b)
        assert got.shape == (m, n) and got.dtype == np.float32
        np.testing.assert_allclose(got, a @ b, rtol=1e-5, atol=1e-4)
        results.append(got)
    np.testing.assert_array_equal(results[0], results[1])
    ints = linalg.matmul_2d(np.arange(m * k).reshape(m, k), np.ones((k, n), np.int64))
    np.testing.assert_array_equal(ints, np.arange(m * k).reshape(m, k) @ np.ones((k, n)))


def test_linear_layers_multiply_on_one_blas_thread(threads, monkeypatch):
    """A linear layer's products (forward and both gradients) each run on one BLAS thread, so
    that no BLAS worker is left busy-waiting beside Latte's threads; the BLAS gets its own count
    back after each."""
    calls = _threads._bundled_openblas()
    if calls is None:
        pytest.skip("NumPy's BLAS is not the bundled OpenBLAS")
    threads(2)
    before = calls[0]()
    seen = []
    matmul = np.matmul

    def recording(a, b, out=None):
        seen.append(calls[0]())
        return matmul(a, b, out=out)
    monkeypatch.setattr(np, "matmul", recording)
    layer = latte.nn.Linear(512, 256)
    x = latte.randn(256, 512, requires_grad=True)
    y = layer(x)
    y.sum().backward()
    assert len(seen) >= 3 and set(seen) == {1}
    assert calls[0]() == before
    np.testing.assert_allclose(y.detach().numpy(), x.detach().numpy()
                               @ layer.weight.detach().numpy().T + layer.bias.detach().numpy(),
                               rtol=1e-5, atol=1e-4)
