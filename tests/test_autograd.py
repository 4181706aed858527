"""The engine: graph walk, accumulation, release, grad mode, grad(), hooks, Function, gradcheck."""
import gc
import threading
import tracemalloc

import numpy as np
import pytest

import latte
from latte.autograd import Function, GradcheckError, gradcheck, once_differentiable


def f64(*shape, requires_grad=True):
    return latte.randn(*shape, dtype=latte.float64, requires_grad=requires_grad)


def test_second_derivative_of_cube_at_two_is_twelve():
    x = latte.tensor(2.0, requires_grad=True)
    (dx,) = latte.autograd.grad(x ** 3, x, create_graph=True)
    (ddx,) = latte.autograd.grad(dx, x)
    assert dx.item() == pytest.approx(12.0)
    assert ddx.item() == pytest.approx(12.0)


def test_third_derivative_through_backward_create_graph():
    x = latte.tensor(1.5, dtype=latte.float64, requires_grad=True)
    y = x.sin()
    (g1,) = latte.autograd.grad(y, x, create_graph=True)
    (g2,) = latte.autograd.grad(g1, x, create_graph=True)
    g2.backward()
    assert g1.item() == pytest.approx(np.cos(1.5))
    assert g2.item() == pytest.approx(-np.sin(1.5))
    assert x.grad.item() == pytest.approx(-np.cos(1.5))


def test_long_chain_needs_no_recursion():
    x = latte.ones(100, requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.ones(100))


def test_gradients_accumulate_across_backward_calls():
    x = latte.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3 + 2, 3 + 4])


def test_shared_input_gets_summed_gradient():
    x = latte.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * x + x * 2 + x
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.detach().numpy() + 3)


def test_leaves_never_share_one_gradient_array():
    a = latte.ones(3, requires_grad=True)
    b = latte.ones(3, requires_grad=True)
    (a + b).sum().backward()
    a.grad.zero_()
    np.testing.assert_allclose(b.grad.numpy(), np.ones(3))


def test_broadcast_gradients_are_summed_to_input_shapes():
    a = latte.ones(3, 1, requires_grad=True)
    b = latte.ones(4, requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.shape == (3, 1) and b.grad.shape == (4,)
    np.testing.assert_allclose(a.grad.numpy(), np.full((3, 1), 4.0))
    np.testing.assert_allclose(b.grad.numpy(), np.full(4, 3.0))


def test_second_backward_through_freed_graph_raises():
    x = latte.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_retain_graph_allows_second_backward():
    x = latte.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 8.0])


def test_saved_values_are_released_after_backward():
    x = latte.randn(1000, requires_grad=True)
    y = x.exp()
    node = y.grad_fn
    y.sum().backward()
    assert node._saved == () and node._freed


def test_nonscalar_backward_needs_gradient():
    x = latte.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="only for scalar outputs"):
        (x * 2).backward()
    (x * 2).backward(latte.tensor([1.0, 0.0, 2.0]))
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 0.0, 4.0])


def test_backward_gradient_shape_is_checked():
    x = latte.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"\(2,\).*\(3,\)"):
        (x * 2).backward(latte.ones(2))


def test_tensor_without_grad_cannot_backward():
    with pytest.raises(RuntimeError, match="does not require grad"):
        latte.ones(2).sum().backward()


def test_no_grad_context_and_decorator_restore_state():
    x = latte.ones(2, requires_grad=True)
    with latte.no_grad():
        assert not (x * 2).requires_grad
        with latte.enable_grad():
            assert (x * 2).requires_grad
        assert not latte.is_grad_enabled()
    assert latte.is_grad_enabled()

    @latte.no_grad()
    def f(t):
        return t * 2

    @latte.no_grad
    def g(t):
        return t * 2

    assert not f(x).requires_grad and not g(x).requires_grad
    assert latte.is_grad_enabled()


def test_grad_mode_restored_after_exception():
    with pytest.raises(ValueError):
        with latte.no_grad():
            raise ValueError("boom")
    assert latte.is_grad_enabled()


def test_set_grad_enabled_as_function_and_context():
    x = latte.ones(2, requires_grad=True)
    with latte.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert latte.is_grad_enabled()
    latte.set_grad_enabled(False)
    try:
        assert not latte.is_grad_enabled()
    finally:
        latte.set_grad_enabled(True)

    @latte.set_grad_enabled(False)
    def f(t):
        return t * 2

    assert latte.is_grad_enabled()
    assert not f(x).requires_grad


def test_inference_mode():
    x = latte.ones(2, requires_grad=True)
    with latte.inference_mode():
        assert not (x * 2).requires_grad
        assert latte.is_inference_mode_enabled()
    assert latte.is_grad_enabled() and not latte.is_inference_mode_enabled()

    @latte.inference_mode()
    def f(t):
        return t * 2

    assert not f(x).requires_grad


def test_grad_mode_is_thread_local():
    seen = []

    def worker():
        seen.append(latte.is_grad_enabled())

    with latte.no_grad():
        t = threading.Thread(target=worker)
        t.start()
        t.join()
    assert seen == [True]


def test_autograd_grad_does_not_touch_dot_grad():
    x = latte.tensor([1.0, 2.0], requires_grad=True)
    w = latte.tensor([3.0, 4.0], requires_grad=True)
    y = (x * w).sum()
    gx, gw = latte.autograd.grad(y, [x, w])
    np.testing.assert_allclose(gx.numpy(), [3.0, 4.0])
    np.testing.assert_allclose(gw.numpy(), [1.0, 2.0])
    assert x.grad is None and w.grad is None


def test_grad_of_intermediate_tensor():
    x = latte.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    y = (h * h).sum()
    (gh,) = latte.autograd.grad(y, h)
    np.testing.assert_allclose(gh.numpy(), [4.0, 8.0])


def test_grad_unused_input():
    x = latte.ones(2, requires_grad=True)
    z = latte.ones(2, requires_grad=True)
    y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="allow_unused"):
        latte.autograd.grad(y, [x, z], retain_graph=True)
    gx, gz = latte.autograd.grad(y, [x, z], allow_unused=True)
    assert gz is None and gx is not None


def test_tensor_hooks_on_leaf_and_intermediate():
    x = latte.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: g * 10)
    h = x * 3
    seen = []
    handle = h.register_hook(lambda g: seen.append(g.numpy().copy()))
    h.sum().backward()
    np.testing.assert_allclose(seen[0], [1.0, 1.0])
    np.testing.assert_allclose(x.grad.numpy(), [30.0, 30.0])
    handle.remove()


def test_retain_grad_keeps_intermediate_gradient():
    x = latte.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    h.retain_grad()
    (h * h).sum().backward()
    np.testing.assert_allclose(h.grad.numpy(), [6.0, 12.0])


def test_detach_cuts_the_graph_and_shares_memory():
    x = latte.ones(2, requires_grad=True)
    d = (x * 2).detach()
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf


class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x * x


def test_user_function_with_saved_tensors_and_double_backward():
    x = latte.tensor(2.0, dtype=latte.float64, requires_grad=True)
    y = Cube.apply(x)
    assert y.item() == 8.0 and y.grad_fn is not None
    (g,) = latte.autograd.grad(y, x, create_graph=True)
    (gg,) = latte.autograd.grad(g, x)
    assert g.item() == 12.0 and gg.item() == 12.0
    assert gradcheck(Cube.apply, (f64(3),))


class ScaleOnce(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    @once_differentiable
    def backward(ctx, grad):
        return grad * 2


def test_once_differentiable_refuses_double_backward():
    x = latte.tensor(1.0, requires_grad=True)
    (g,) = latte.autograd.grad(ScaleOnce.apply(x), x)
    assert g.item() == 2.0
    y = ScaleOnce.apply(x)
    (g,) = latte.autograd.grad(y * y, x, create_graph=True)
    assert g.item() == 8.0
    with pytest.raises(RuntimeError, match="once_differentiable"):
        g.backward()


def test_function_returning_wrong_number_of_gradients():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, grad):
            return (grad,)

    a, b = latte.ones(2, requires_grad=True), latte.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="incorrect number of gradients"):
        Bad.apply(a, b).sum().backward()


def test_modified_saved_tensor_raises():
    x = latte.randn(3, requires_grad=True)
    y = x.exp()
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
    w = latte.randn(3, requires_grad=True)
    a = x * 1
    z = a * w
    a.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_inplace_on_leaf_requiring_grad_raises():
    x = latte.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        x.add_(1)
    with latte.no_grad():
        x.add_(1)
    assert x._version == 1


def test_training_loop_memory_does_not_grow():
    w = latte.randn(64, 64, requires_grad=True)
    x = latte.randn(32, 64)

    def step():
        loss = ((x @ w).tanh() ** 2).mean()
        loss.backward()
        with latte.no_grad():
            w.sub_(w.grad * 0.01)
        w.grad = None

    for _ in range(50):
        step()
    gc.collect()
    tracemalloc.start()
    for _ in range(200):
        step()
    first, _ = tracemalloc.get_traced_memory()
    for _ in range(800):
        step()
    second, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert second - first < 200_000, f"memory grew by {second - first} bytes"


def test_graph_is_freed_without_gc():
    gc.disable()
    try:
        x = latte.randn(10, requires_grad=True)
        y = (x * 2).exp()
        node = y.grad_fn
        import weakref
        ref = weakref.ref(node)
        del y, node
        assert ref() is None, "graph nodes must not form reference cycles"
    finally:
        gc.enable()


def test_gradcheck_passes_and_reports_worst_element():
    x = f64(3, 2)
    assert gradcheck(lambda t: (t * t).sum(1), (x,))

    class Wrong(Function):
        @staticmethod
        def forward(ctx, t):
            return t * t

        @staticmethod
        def backward(ctx, grad):
            return grad  # should be 2 * t * grad

    with pytest.raises(GradcheckError, match="input element"):
        gradcheck(Wrong.apply, (x,))


def test_gradcheck_requires_float64():
    with pytest.raises(GradcheckError, match="float64"):
        gradcheck(lambda t: t * 2, (latte.ones(2, requires_grad=True),))


def test_backward_inputs_argument_limits_accumulation():
    x = latte.ones(2, requires_grad=True)
    w = latte.ones(2, requires_grad=True)
    (x * w).sum().backward(inputs=[x])
    assert x.grad is not None and w.grad is None


def test_leaves_never_share_gradient_memory_through_views():
    a = latte.ones(2, 2, requires_grad=True)
    b = latte.ones(2, 2, requires_grad=True)
    (a.reshape(4) + b.reshape(4)).sum().backward()
    a.grad.zero_()
    np.testing.assert_allclose(b.grad.numpy(), np.ones((2, 2)))


def test_leaf_gradient_is_not_the_callers_tensor():
    x = latte.ones(3, requires_grad=True)
    upstream = latte.ones(3)
    x.backward(upstream)
    x.grad.mul_(5)
    np.testing.assert_allclose(upstream.numpy(), np.ones(3))


@pytest.mark.parametrize("values", [[1.5, 0.0, 2.0, 0.0, 3.0], [0.0, 0.0, 2.0, 1.0],
                                    [0.0, 1.5, 0.0, 2.0, 0.0, 1.1], [0.7, 1.3, -2.0]])
def test_cumprod_second_derivatives_with_zeros_match_torch(values):
    # cumprod's backward is branch-free (no GPU sync to look for zeros): check it stays exact
    torch = pytest.importorskip("torch")
    g = np.linspace(-1.0, 1.5, len(values))
    found = []
    for lib in (latte, torch):
        x = lib.tensor(values, dtype=lib.float64, requires_grad=True)
        (gx,) = lib.autograd.grad((x.cumprod(0) * lib.tensor(g)).sum(), x, create_graph=True)
        rows = [lib.autograd.grad(gx[k], x, retain_graph=True)[0].tolist()
                for k in range(len(values))]
        found.append((gx.tolist(), rows))
    np.testing.assert_allclose(found[0][0], found[1][0], atol=1e-12)
    np.testing.assert_allclose(found[0][1], found[1][1], atol=1e-12)


_SAVED_OUTPUT_OPS = {  # ops whose backward reads their own saved output
    "exp": lambda t: t.exp(),
    "sigmoid": lambda t: t.sigmoid(),
    "tanh": lambda t: t.tanh(),
    "sqrt": lambda t: t.abs().sqrt(),
    "expm1": lambda t: t.expm1(),
    "softmax": lambda t: t.softmax(1),
    "log_softmax": lambda t: t.log_softmax(1),
    "cumprod": lambda t: t.cumprod(1),
    "pow_tensor": lambda t: t.abs() ** t,
    "logcumsumexp": lambda t: t.logcumsumexp(1),
    "logcumsumexp_dim0": lambda t: t.logcumsumexp(0),
}


@pytest.mark.parametrize("name", sorted(_SAVED_OUTPUT_OPS))
@pytest.mark.parametrize("values", ["finite", "with_nan", "with_minus_inf"])
def test_double_backward_through_saved_output_matches_torch(name, values):
    torch = pytest.importorskip("torch")
    fn = _SAVED_OUTPUT_OPS[name]
    x = np.array([[0.3, -1.2, 0.5], [2.0, 0.1, -0.7]])
    if values == "with_nan":
        x[0, 1] = np.nan
    elif values == "with_minus_inf":
        if name in ("sqrt", "pow_tensor", "cumprod"):
            pytest.skip("inf inputs: no finite reference worth comparing")
        x[1, 0] = -np.inf
    w = np.array([[0.5, -1.0, 2.0], [1.0, 0.3, -0.4]])
    v = np.array([[1.0, 0.5, -2.0], [-0.3, 0.7, 1.1]])
    results = []
    for lib in (latte, torch):
        xt = lib.tensor(x, requires_grad=True)
        (g,) = lib.autograd.grad((fn(xt) * lib.tensor(w)).sum(), xt, create_graph=True)
        (h,) = lib.autograd.grad((g * lib.tensor(v)).sum(), xt)
        results.append((g.detach().numpy(), h.numpy()))
    (g_l, h_l), (g_t, h_t) = results
    np.testing.assert_allclose(g_l, g_t, rtol=1e-10, atol=1e-12, equal_nan=True)
    np.testing.assert_allclose(h_l, h_t, rtol=1e-10, atol=1e-12, equal_nan=True)


def test_integer_and_bool_results_never_require_grad():
    x = latte.randn(3, 4, requires_grad=True)
    assert not x.long().requires_grad and x.long().grad_fn is None
    assert not x.to(latte.int32).requires_grad and not (x > 0).requires_grad
    values, indices = x.max(1)
    assert values.requires_grad and not indices.requires_grad
    assert x.round().requires_grad  # a float result of a rounding op keeps its (zero) gradient


def test_grad_runs_only_the_nodes_between_outputs_and_inputs():
    # as PyTorch's: the graph behind a non-leaf input is not run, so it may be freed already
    # and its hooks do not fire
    x = latte.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    fired = []
    y.register_hook(lambda g: fired.append(g))
    y.sum().backward()
    fired.clear()
    (g,) = latte.autograd.grad((y.view_as(y) ** 2).sum(), [y])
    np.testing.assert_allclose(g.numpy(), 2 * np.exp([1.0, 2.0]))
    assert len(fired) == 1  # y's own gradient, not the walk beyond it
