"""latte.autograd.functional against torch.autograd.functional: values, result structure,
create_graph, strict errors, unused inputs, and a finite-difference Jacobian."""
import numpy as np
import pytest

import latte
import latte.autograd.functional as LF

torch = pytest.importorskip("torch")
TF = torch.autograd.functional


def _pair(*shape, seed=0):
    a = np.random.default_rng(seed).standard_normal(shape)
    return latte.tensor(a), torch.tensor(a)


def _close(ours, theirs):
    """Same nesting (Tensor, tuple, tuple of tuples) and values."""
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        for o, t in zip(ours, theirs):
            _close(o, t)
        return
    assert isinstance(ours, latte.Tensor), type(ours)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-10,
                               atol=1e-12)


# each function written once against a namespace `m` (latte or torch)
def _single(m, x):
    return (x.sin() * x).exp()[:2] * x.sum()


def _tuple_in(m, x, y):
    return (x[:, None] * y).tanh().sum(0)


def _tuple_out(m, x):
    return x ** 2, (x.cos() * 3).sum()


def _tuple_both(m, x, y):
    return x * y.sum(), (x.exp() * y[:3]).sum()


def _scalar(m, x):
    return (x.sin() ** 2).sum() + (x[0] * x[1]) ** 3


def _scalar_matrix(m, A):
    return (A @ A.T).tanh().sum() + m.logsumexp(A, dim=0).sum()


def _scalar_two(m, x, y):
    return (x.exp() * y[:3].sin()).sum() + (y ** 3).sum()


def _inputs(*shapes):
    pairs = [_pair(*s, seed=i) for i, s in enumerate(shapes)]
    return tuple(p[0] for p in pairs), tuple(p[1] for p in pairs)


def _call(api, f, lat, tor, **kw):
    """Run the same functional on both sides (single inputs passed bare, as users do)."""
    ours = getattr(LF, api)(lambda *a: f(latte, *a), lat if len(lat) > 1 else lat[0], **kw)
    theirs = getattr(TF, api)(lambda *a: f(torch, *a), tor if len(tor) > 1 else tor[0], **kw)
    return ours, theirs


@pytest.mark.parametrize("f,shapes", [(_single, [(3,)]), (_tuple_in, [(3,), (4,)]),
                                      (_tuple_out, [(4,)]), (_tuple_both, [(3,), (5,)])])
@pytest.mark.parametrize("vectorize", [False, True])
def test_jacobian_values_and_structure_match_pytorch(f, shapes, vectorize):
    lat, tor = _inputs(*shapes)
    _close(*_call("jacobian", f, lat, tor, vectorize=vectorize))


@pytest.mark.parametrize("f,shapes", [(_scalar, [(4,)]), (_scalar_matrix, [(3, 2)]),
                                      (_scalar_two, [(3,), (4,)])])
def test_hessian_matches_pytorch(f, shapes):
    lat, tor = _inputs(*shapes)
    _close(*_call("hessian", f, lat, tor))


def test_hessian_of_a_matrix_function_has_shape_twice_the_input():
    lat, tor = _inputs((3, 2))
    h, th = _call("hessian", _scalar_matrix, lat, tor)
    assert tuple(h.shape) == (3, 2, 3, 2)
    _close(h, th)


@pytest.mark.parametrize("f,shapes", [(_single, [(3,)]), (_tuple_in, [(3,), (4,)]),
                                      (_tuple_out, [(4,)]), (_tuple_both, [(3,), (5,)])])
@pytest.mark.parametrize("api", ["vjp", "jvp"])
def test_vjp_and_jvp_match_pytorch(f, shapes, api):
    lat, tor = _inputs(*shapes)
    with torch.no_grad():
        outs = f(torch, *tor)
    outs = outs if isinstance(outs, tuple) else (outs,)
    like = outs if api == "vjp" else tor
    vs = [_pair(*t.shape, seed=10 + i) for i, t in enumerate(like)]
    v_l = tuple(p[0] for p in vs) if len(vs) > 1 else vs[0][0]
    v_t = tuple(p[1] for p in vs) if len(vs) > 1 else vs[0][1]
    ours = getattr(LF, api)(lambda *a: f(latte, *a), lat if len(lat) > 1 else lat[0], v_l)
    theirs = getattr(TF, api)(lambda *a: f(torch, *a), tor if len(tor) > 1 else tor[0], v_t)
    _close(ours, theirs)


@pytest.mark.parametrize("f,shapes", [(_scalar, [(4,)]), (_scalar_two, [(3,), (4,)])])
@pytest.mark.parametrize("api", ["vhp", "hvp"])
def test_vhp_and_hvp_match_pytorch(f, shapes, api):
    lat, tor = _inputs(*shapes)
    vs = [_pair(*t.shape, seed=20 + i) for i, t in enumerate(tor)]
    v_l = tuple(p[0] for p in vs) if len(vs) > 1 else vs[0][0]
    v_t = tuple(p[1] for p in vs) if len(vs) > 1 else vs[0][1]
    ours = getattr(LF, api)(lambda *a: f(latte, *a), lat if len(lat) > 1 else lat[0], v_l)
    theirs = getattr(TF, api)(lambda *a: f(torch, *a), tor if len(tor) > 1 else tor[0], v_t)
    _close(ours, theirs)


def test_v_may_be_left_out_for_one_element():
    x_l, x_t = _pair(1)
    _close(LF.vjp(lambda x: (x ** 3).sum(), x_l), TF.vjp(lambda x: (x ** 3).sum(), x_t))
    _close(LF.jvp(lambda x: x.exp() * 2, x_l), TF.jvp(lambda x: x.exp() * 2, x_t))
    _close(LF.hvp(lambda x: (x ** 4).sum(), x_l), TF.hvp(lambda x: (x ** 4).sum(), x_t))
    with pytest.raises(RuntimeError, match="v can only be None"):
        LF.vjp(lambda x: x * 2, latte.ones(3, dtype=latte.float64))


def test_results_are_detached_unless_create_graph():
    x = latte.randn(3, dtype=latte.float64, requires_grad=True)
    out, g = LF.vjp(lambda t: t ** 3, x, latte.ones(3, dtype=latte.float64))
    assert not out.requires_grad and not g.requires_grad
    assert not LF.jacobian(lambda t: t ** 3, x).requires_grad


def test_create_graph_gradients_reach_the_callers_leaves():
    a = np.random.default_rng(3).standard_normal(3)
    x_l = latte.tensor(a, requires_grad=True)
    x_t = torch.tensor(a, requires_grad=True)
    j_l = LF.jacobian(lambda t: t.sin() * t.sum(), x_l, create_graph=True)
    j_t = TF.jacobian(lambda t: t.sin() * t.sum(), x_t, create_graph=True)
    assert j_l.requires_grad
    (j_l ** 2).sum().backward()
    (j_t ** 2).sum().backward()
    _close(x_l.grad, x_t.grad)
    x_l.grad = None
    x_t.grad = None
    _, p_l = LF.hvp(lambda t: (t ** 3).sum(), x_l, latte.ones(3, dtype=latte.float64),
                    create_graph=True)
    _, p_t = TF.hvp(lambda t: (t ** 3).sum(), x_t, torch.ones(3, dtype=torch.float64),
                    create_graph=True)
    p_l.sum().backward()
    p_t.sum().backward()
    _close(x_l.grad, x_t.grad)


def test_unused_inputs_give_zeros():
    lat, tor = _inputs((3,), (2,))
    f = lambda m, x, y: x * 2  # noqa: E731
    ours, theirs = _call("jacobian", f, lat, tor)
    _close(ours, theirs)
    assert not ours[1].numpy().any()
    ours = LF.vjp(lambda x, y: x * 2, lat, latte.ones(3, dtype=latte.float64))
    theirs = TF.vjp(lambda x, y: x * 2, tor, torch.ones(3, dtype=torch.float64))
    _close(ours, theirs)
    _close(LF.hessian(lambda x, y: (x ** 3).sum(), lat),
           TF.hessian(lambda x, y: (x ** 3).sum(), tor))


@pytest.mark.parametrize("api,f", [
    ("jacobian", lambda x, y: x * 2),
    ("vjp", lambda x, y: (x * 2).sum()),
    ("hessian", lambda x, y: (x ** 3).sum()),
    ("vhp", lambda x, y: (x ** 3).sum()),
])
def test_strict_rejects_an_unused_input_as_pytorch(api, f):
    lat, tor = _inputs((3,), (2,))
    with pytest.raises(RuntimeError) as theirs:
        getattr(TF, api)(f, tor, strict=True, **({} if api in ("jacobian", "hessian") else
                                                  {"v": None}))
    with pytest.raises(RuntimeError) as ours:
        getattr(LF, api)(f, lat, strict=True)
    assert str(ours.value) == str(theirs.value)


def test_strict_rejects_an_output_that_does_not_require_grad():
    x = latte.ones(3, dtype=latte.float64)
    with pytest.raises(RuntimeError, match="Output 0 of the user-provided function does not"):
        LF.jacobian(lambda t: latte.ones(2, dtype=latte.float64), x, strict=True)
    # without strict: a zero Jacobian, as PyTorch's
    j = LF.jacobian(lambda t: latte.ones(2, dtype=latte.float64), x)
    _close(j, TF.jacobian(lambda t: torch.ones(2, dtype=torch.float64),
                          torch.ones(3, dtype=torch.float64)))


def test_non_tensor_outputs_and_inputs_are_errors():
    x = latte.ones(3)
    with pytest.raises(TypeError, match="outputs of the user-provided function given to "
                                        "jacobian must be either a Tensor or a tuple"):
        LF.jacobian(lambda t: 3.0, x)
    with pytest.raises(TypeError, match="inputs given to vjp"):
        LF.vjp(lambda t: t, [x], x)
    with pytest.raises(RuntimeError, match="should return a single Tensor"):
        LF.hessian(lambda t: (t.sum(), t.sum()), x)
    with pytest.raises(RuntimeError, match="should contain a single element"):
        LF.hvp(lambda t: t * 2, x, x)


def test_v_shape_errors_name_both_sizes():
    x = latte.ones(3)
    with pytest.raises(RuntimeError, match=r"v has invalid size: should be .*3.* but got .*4"):
        LF.vjp(lambda t: t * 2, x, latte.ones(4))
    with pytest.raises(RuntimeError, match="Entry 1 in v has invalid size"):
        LF.jvp(lambda a, b: a * b, (x, x), (x, latte.ones(2)))
    with pytest.raises(RuntimeError, match="v is a tuple of invalid length"):
        LF.jvp(lambda a, b: a * b, (x, x), (x,))


def test_forward_mode_strategy_is_refused_clearly():
    with pytest.raises(NotImplementedError, match="forward-mode"):
        LF.jacobian(lambda t: t, latte.ones(2), strategy="forward-mode")


def test_jacobian_equals_finite_differences_in_float64():
    rng = np.random.default_rng(7)
    a, b = rng.standard_normal(4), rng.standard_normal((2, 3))

    def f(x, W):
        return (W @ x[:3]).tanh() * x[3], (x ** 2).sum() * W.exp()

    jx = LF.jacobian(f, (latte.tensor(a), latte.tensor(b)))
    eps = 1e-6
    for j, base in enumerate((a, b)):
        flat = base.reshape(-1)
        for k in range(flat.size):
            plus, minus = [a.copy(), b.copy()], [a.copy(), b.copy()]
            plus[j].reshape(-1)[k] += eps
            minus[j].reshape(-1)[k] -= eps
            fp = f(*(latte.tensor(t) for t in plus))
            fm = f(*(latte.tensor(t) for t in minus))
            for i in range(2):
                numeric = (fp[i].numpy() - fm[i].numpy()) / (2 * eps)
                analytic = jx[i][j].numpy().reshape(numeric.shape + (-1,))[..., k]
                np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)


def test_import_torch_autograd_functional_under_latte_run(tmp_path):
    import subprocess
    import sys
    script = tmp_path / "s.py"
    script.write_text("import torch\nimport torch.autograd.functional as F\n"
                      "print(F.jacobian(lambda x: x * 3, torch.ones(2)).sum().item())\n")
    run = subprocess.run([sys.executable, "-m", "latte.compat", str(script)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "6.0"
