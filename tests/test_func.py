"""latte.func against torch.func on the same functions: vmap (in_dims, out_dims, nesting,
errors, randomness), grad and its compositions (per-sample gradients, second derivatives),
vjp/jvp/linearize, jacrev/jacfwd/hessian, functional_call and stack_module_state."""
import subprocess
import sys

import numpy as np
import pytest

import latte
import latte.func as LF

torch = pytest.importorskip("torch")
TF = torch.func


def _pair(*shape, seed=0):
    a = np.random.default_rng(seed).standard_normal(shape)
    return latte.tensor(a), torch.tensor(a)


def _close(ours, theirs, tol=1e-10):
    """Same nesting (tuples, lists, dicts) and values."""
    if isinstance(theirs, (tuple, list)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs), (ours, theirs)
        for o, t in zip(ours, theirs):
            _close(o, t, tol)
    elif isinstance(theirs, dict):
        assert isinstance(ours, dict) and list(ours) == list(theirs)
        for k in theirs:
            _close(ours[k], theirs[k], tol)
    elif isinstance(theirs, torch.Tensor):
        assert isinstance(ours, latte.Tensor), type(ours)
        assert tuple(ours.shape) == tuple(theirs.shape)
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=tol,
                                   atol=tol)
    else:
        assert ours == theirs


# --- vmap ------------------------------------------------------------------------------------
# (function of the namespace m, argument shapes (None: the int 3), in_dims, out_dims)
VMAP_CASES = {
    "sum": (lambda m: m.sum, [(4, 3)], 0, 0),
    "matmul_unbatched_rhs": (lambda m: m.matmul, [(4, 2, 3), (3, 5)], (0, None), 0),
    "matmul_dim1_out1": (lambda m: m.matmul, [(2, 3), (3, 4, 5)], (None, 1), 1),
    "softmax_negative_dims": (lambda m: lambda x: m.softmax(x, 0), [(3, 5)], -1, -1),
    "scalar_out": (lambda m: lambda x, y: (x * y).sum(), [(4, 3), (4, 3)], 0, 0),
    "nested_in_out": (lambda m: lambda d, s: {"o": d["a"] * d["b"] * s, "l": [d["a"].exp()]},
                      [{"a": (3, 5), "b": (4, 3, 5)}, None], ({"a": 0, "b": 1}, None),
                      {"o": 1, "l": [0]}),
    "tuple_out_none": (lambda m: lambda x: (x.cos(), 3), [(4, 2)], 0, (0, None)),
    "list_arg": (lambda m: lambda xs: xs[0] + xs[1], [[(2, 3), (3,)]], ([0, None],), 0),
}


def _make(shape, seed):
    if shape is None:
        return 3, 3
    if isinstance(shape, dict):
        pairs = {k: _pair(*s, seed=seed + i) for i, (k, s) in enumerate(shape.items())}
        return {k: p[0] for k, p in pairs.items()}, {k: p[1] for k, p in pairs.items()}
    if isinstance(shape, list):
        pairs = [_pair(*s, seed=seed + i) for i, s in enumerate(shape)]
        return [p[0] for p in pairs], [p[1] for p in pairs]
    return _pair(*shape, seed=seed)


@pytest.mark.parametrize("name", list(VMAP_CASES))
def test_vmap_values(name):
    fn, shapes, in_dims, out_dims = VMAP_CASES[name]
    args = [_make(s, seed=10 * i) for i, s in enumerate(shapes)]
    ours = LF.vmap(fn(latte), in_dims, out_dims)(*[a for a, _ in args])
    _close(ours, TF.vmap(fn(torch), in_dims, out_dims)(*[t for _, t in args]))


def test_vmap_nested_and_kwargs():
    (x, tx), (y, ty) = _pair(3, 4), _pair(5, 4, seed=1)
    outer = LF.vmap(LF.vmap(latte.dot, in_dims=(None, 0)), in_dims=(0, None))
    _close(outer(x, y), TF.vmap(TF.vmap(torch.dot, in_dims=(None, 0)), in_dims=(0, None))(tx, ty))
    scaled = LF.vmap(lambda a, *, k: a * k)(x, k=latte.tensor(2.0))
    _close(scaled, tx * 2)
    assert latte.vmap is LF.vmap


def test_vmap_empty_batch_and_chunks():
    x, tx = _pair(0, 3)
    _close(LF.vmap(lambda a: a.sum())(x), TF.vmap(lambda a: a.sum())(tx))
    y, ty = _pair(5, 3)
    _close(LF.vmap(latte.exp, chunk_size=2)(y), TF.vmap(torch.exp, chunk_size=2)(ty))


def test_vmap_backward_through_result():
    x, tx = _pair(4, 3)
    x.requires_grad_(), tx.requires_grad_()
    LF.vmap(lambda a: (a.sin() * a).sum())(x).pow(2).sum().backward()
    TF.vmap(lambda a: (a.sin() * a).sum())(tx).pow(2).sum().backward()
    _close(x.grad, tx.grad)


VMAP_ERRORS = [
    (lambda: LF.vmap(latte.add)(latte.ones(2, 3), latte.ones(3, 3)), ValueError,
     "same size in the mapped dimension, got sizes [2, 3]"),
    (lambda: LF.vmap(latte.add, in_dims=(None, None))(latte.ones(2), latte.ones(2)), ValueError,
     "at least one Tensor to vmap over"),
    (lambda: LF.vmap(latte.add, in_dims=(0,))(latte.ones(2), latte.ones(2)), ValueError,
     "in_dims is not compatible with the structure of `inputs`"),
    (lambda: LF.vmap(latte.add, in_dims=(0, 2))(latte.ones(2, 3), latte.ones(2, 3)), ValueError,
     "Got in_dim=2 for some input, but that input is a Tensor of dimensionality 2"),
    (lambda: LF.vmap(lambda a, n: a * n, in_dims=(0, 0))(latte.ones(2), 3), ValueError,
     "Got in_dim=0 for an input but the input is of type <class 'int'>"),
    (lambda: LF.vmap(lambda a: 3)(latte.ones(2)), ValueError,
     "must only return Tensors, got type <class 'int'>"),
    (lambda: LF.vmap(lambda a: a, out_dims=None)(latte.arange(6.0).reshape(2, 3)), ValueError,
     "can not return a BatchedTensor when out_dim is None"),
    (lambda: LF.vmap(lambda a: (a, a), out_dims=(0,))(latte.ones(2)), ValueError,
     "out_dims is not compatible with the structure of `outputs`"),
    (lambda: LF.vmap(lambda a: a, in_dims=[0])(latte.ones(2)), ValueError,
     "expected `in_dims` to be int or a (potentially nested) tuple"),
    (lambda: LF.vmap(lambda a: a)(), ValueError, "got no inputs"),
    (lambda: LF.vmap(lambda a: a, randomness="foo"), RuntimeError,
     "Only allowed values for randomness are 'error', 'different', or 'same'. Got foo"),
    (lambda: LF.vmap(lambda a: a, chunk_size=0), ValueError,
     "chunk_size should be None or greater than 0. (got 0)"),
]


@pytest.mark.parametrize("case", range(len(VMAP_ERRORS)))
def test_vmap_errors(case):
    call, error, message = VMAP_ERRORS[case]
    with pytest.raises(error, match=None) as info:
        call()
    assert message in str(info.value)


def test_vmap_randomness():
    x = latte.ones(4)
    same = LF.vmap(lambda a: latte.rand(()) + a * 0, randomness="same")(x)
    assert bool((same == same[0]).all())
    latte.manual_seed(0)
    different = LF.vmap(lambda a: latte.rand(()) + a * 0, randomness="different")(x)
    assert len(set(different.tolist())) == 4
    latte.manual_seed(0)
    assert different.tolist() == [latte.rand(()).item() for _ in range(4)]


# --- grad and its compositions ---------------------------------------------------------------
def _mlp_loss(m, params, x, y):
    h = m.tanh(x @ params["w1"] + params["b1"])
    return ((h @ params["w2"] - y) ** 2).mean()


def _mlp_params(seed=0):
    shapes = {"w1": (3, 5), "b1": (5,), "w2": (5, 2)}
    pairs = {k: _pair(*s, seed=seed + i) for i, (k, s) in enumerate(shapes.items())}
    return {k: p[0] for k, p in pairs.items()}, {k: p[1] for k, p in pairs.items()}


def test_per_sample_gradients_of_mlp():
    params, tparams = _mlp_params()
    (x, tx), (y, ty) = _pair(6, 3, seed=7), _pair(6, 2, seed=8)
    ours = LF.vmap(LF.grad(lambda p, a, b: _mlp_loss(latte, p, a, b)),
                   in_dims=(None, 0, 0))(params, x, y)
    theirs = TF.vmap(TF.grad(lambda p, a, b: _mlp_loss(torch, p, a, b)),
                     in_dims=(None, 0, 0))(tparams, tx, ty)
    _close(ours, theirs)
    assert not any(g.requires_grad for g in ours.values())


def test_per_sample_gradients_through_functional_call():
    model = latte.nn.Sequential(latte.nn.Linear(3, 4), latte.nn.Tanh(), latte.nn.Linear(4, 2))
    tmodel = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    model.double(), tmodel.double()
    tmodel.load_state_dict({k: torch.tensor(v.numpy()) for k, v in model.state_dict().items()})
    (x, tx), y, ty = _pair(5, 3), latte.tensor([0, 1, 1, 0, 1]), torch.tensor([0, 1, 1, 0, 1])

    def loss(mod, ns, F):
        def f(p, a, b):
            return F.cross_entropy(ns.func.functional_call(mod, p, (a[None],)), b[None])
        return f

    params = {k: v.detach() for k, v in model.named_parameters()}
    tparams = {k: v.detach() for k, v in tmodel.named_parameters()}
    ours = LF.vmap(LF.grad(loss(model, latte, latte.nn.functional)), (None, 0, 0))(params, x, y)
    theirs = TF.vmap(TF.grad(loss(tmodel, torch, torch.nn.functional)), (None, 0, 0))(
        tparams, tx, ty)
    _close(ours, theirs)


def test_grad_argnums_aux_and_value():
    (x, tx), (y, ty) = _pair(3), _pair(3, seed=1)

    def f(m):
        return lambda a, b: ((a.sin() * b).sum(), {"aux": a * 2})

    for argnums in (0, 1, (0, 1), (1, -2)):
        _close(LF.grad(f(latte), argnums, has_aux=True)(x, y),
               TF.grad(f(torch), argnums, has_aux=True)(tx, ty))
    _close(LF.grad_and_value(f(latte), has_aux=True)(x, y),
           TF.grad_and_value(f(torch), has_aux=True)(tx, ty))
    # an output that does not depend on the input: zeros
    _close(LF.grad(lambda a: y.sum())(x), TF.grad(lambda a: ty.sum())(tx))


def test_grad_composes():
    (x, tx), (w, tw) = _pair(3), _pair(3, seed=1)
    _close(LF.grad(LF.grad(lambda a: (a ** 3).sum()))(latte.tensor(2.0)), torch.tensor(12.0))
    # the inner function closes over the outer argument
    ours = LF.grad(lambda v: LF.grad(lambda a: (v * a ** 2).sum())(x).pow(2).sum())(w)
    theirs = TF.grad(lambda v: TF.grad(lambda a: (v * a ** 2).sum())(tx).pow(2).sum())(tw)
    _close(ours, theirs)
    # with ordinary autograd: an input that requires grad gets a differentiable gradient
    x.requires_grad_(), tx.requires_grad_()
    g, tg = LF.grad(lambda a: (a ** 3).sum())(x), TF.grad(lambda a: (a ** 3).sum())(tx)
    assert g.requires_grad and tg.requires_grad
    g.sum().backward(), tg.sum().backward()
    _close(x.grad, tx.grad)
    # an aux output keeps the graph the caller tracks
    _, aux = LF.grad(lambda a: ((a ** 2).sum(), x * 2), has_aux=True)(w)
    assert aux.requires_grad
    with latte.no_grad():
        _close(LF.grad(lambda a: (a ** 3).sum())(w), TF.grad(lambda a: (a ** 3).sum())(tw))


GRAD_ERRORS = [
    (lambda: LF.grad(lambda a: a)(latte.ones(2, 3)), "Expected f(*args) to return a scalar "
     "Tensor, got tensor with 2 dims. Maybe you wanted to use the vjp or jacrev APIs instead?"),
    (lambda: LF.grad(lambda a: a.sum(), argnums=2)(latte.ones(2)),
     "Got argnum=2, but only 1 positional inputs"),
    (lambda: LF.grad(lambda a: a.sum(), argnums=())(latte.ones(2)), "argnums must be non-empty"),
    (lambda: LF.grad(lambda a: a.sum(), argnums=1.0)(latte.ones(2)),
     "argnums must be int or Tuple[int, ...], got: <class 'float'>"),
    (lambda: LF.grad(lambda a: a.sum(), has_aux=True)(latte.ones(2)),
     "output of function f should be a tuple: (output, aux) if has_aux is True"),
    (lambda: LF.grad(lambda a: 3)(latte.ones(2)), "Expected f(*args) to return a Tensor"),
    (lambda: LF.jacrev(lambda a: 3)(latte.ones(2)),
     "expected f(*primals) to return only tensors, got unsupported type <class 'int'>"),
    (lambda: LF.vjp(lambda a: a, latte.ones(2, 3))[1](latte.ones(3)),
     "Mismatch in shape: grad_output[0] has a shape of"),
    (lambda: LF.vjp(lambda a: a, latte.ones(2))[1]((latte.ones(2),)),
     "cotangents: (*,), primal output: *"),
    (lambda: LF.jvp(lambda a: a, latte.ones(2), latte.ones(2)), "Expected primals to be a tuple"),
    (lambda: LF.jvp(lambda a: a, (latte.ones(2),), (latte.ones(3),)),
     "Tensor is of size [2] while the given forward gradient is of size [3]"),
]


@pytest.mark.parametrize("case", range(len(GRAD_ERRORS)))
def test_transform_errors(case):
    call, message = GRAD_ERRORS[case]
    with pytest.raises(RuntimeError) as info:
        call()
    assert message in str(info.value)
    with pytest.raises(ValueError, match="Thing passed to transform API must be Tensor"):
        LF.grad(lambda a, b: b.sum())(3, latte.ones(2))


# --- vjp, jvp, jacobians ---------------------------------------------------------------------
def _two(m):
    return lambda a, b: ((a[:, None] * b).tanh(), (a.exp() * b[:3]).sum())


def test_vjp_jvp_linearize():
    (x, tx), (y, ty) = _pair(3), _pair(4, seed=1)
    (u, tu), (v, tv) = _pair(3, 4, seed=2), _pair(seed=3)
    out, fn = LF.vjp(_two(latte), x, y)
    tout, tfn = TF.vjp(_two(torch), tx, ty)
    _close(out, tout)
    _close(fn((u, v)), tfn((tu, tv)))
    _close(fn((u * 2, v)), tfn((tu * 2, tv)))  # vjp_fn can be called again
    (t1, tt1), (t2, tt2) = _pair(3, seed=4), _pair(4, seed=5)
    _close(LF.jvp(_two(latte), (x, y), (t1, t2)), TF.jvp(_two(torch), (tx, ty), (tt1, tt2)))
    out, jfn = LF.linearize(_two(latte), x, y)
    _close(jfn(t1, t2), TF.jvp(_two(torch), (tx, ty), (tt1, tt2))[1])
    aux = LF.vjp(lambda a: (a * 2, {"k": a}), x, has_aux=True)[2]
    _close(aux, {"k": tx})


def test_jacobians():
    (x, tx), (y, ty) = _pair(3), _pair(4, seed=1)
    for argnums in (0, (0, 1), (1,)):
        _close(LF.jacrev(_two(latte), argnums)(x, y), TF.jacrev(_two(torch), argnums)(tx, ty))
        _close(LF.jacfwd(_two(latte), argnums)(x, y), TF.jacfwd(_two(torch), argnums)(tx, ty))

    def f(m):
        return lambda d: {"o": d["a"] * d["b"].sum(), "p": (d["a"] ** 3).sum()}

    d = {"a": x, "b": y}
    _close(LF.jacrev(f(latte))(d), TF.jacrev(f(torch))({"a": tx, "b": ty}))
    _close(LF.hessian(lambda a: (a.sin() * a).sum() * a[0])(x),
           TF.hessian(lambda a: (a.sin() * a).sum() * a[0])(tx))
    _close(LF.hessian(lambda a, b: (a[:, None] * b).tanh(), (0, 1))(x, y),
           TF.hessian(lambda a, b: (a[:, None] * b).tanh(), (0, 1))(tx, ty))
    _close(LF.jacrev(lambda a: (a.exp(), a.sum()), has_aux=True)(x),
           TF.jacrev(lambda a: (a.exp(), a.sum()), has_aux=True)(tx))
    # per-sample Jacobians
    (b, tb) = _pair(5, 3, seed=6)
    _close(LF.vmap(LF.jacrev(latte.sin))(b), TF.vmap(TF.jacrev(torch.sin))(tb))
    with pytest.raises(ValueError, match="`chunk_size` should be greater than 0"):
        LF.jacrev(latte.sin, chunk_size=0)


# --- modules as functions --------------------------------------------------------------------
def _bn_models():
    model = latte.nn.Sequential(latte.nn.Linear(3, 2), latte.nn.BatchNorm1d(2))
    tmodel = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    return model, tmodel


def test_functional_call_parameters_and_buffers():
    model, tmodel = _bn_models()
    (w, tw), (b, tb), (x, tx) = _pair(2, 3), _pair(2, seed=1), _pair(6, 3, seed=2)
    model.double(), tmodel.double()
    originals = {k: v.detach().numpy().copy() for k, v in model.named_parameters()}
    running_mean = model[1].running_mean
    rm, trm = latte.zeros(2, dtype=latte.float64), torch.zeros(2, dtype=torch.float64)
    w.requires_grad_(), tw.requires_grad_()
    out = LF.functional_call(model, ({"0.weight": w, "0.bias": b}, {"1.running_mean": rm}), x)
    tout = TF.functional_call(tmodel, ({"0.weight": tw, "0.bias": tb}, {"1.running_mean": trm}),
                              tx)
    _close(out, tout)
    _close(rm, trm)  # the running mean was updated in the given tensor
    out.pow(3).sum().backward(), tout.pow(3).sum().backward()
    _close(w.grad, tw.grad)
    for k, v in model.named_parameters():  # the module's own tensors are back
        np.testing.assert_allclose(v.detach().numpy(), originals[k])
    assert model[1].running_mean is running_mean and not running_mean.any()
    assert isinstance(model[0].weight, latte.nn.Parameter) and model[0].weight.grad is None


def test_functional_call_restores_after_error_and_checks_keys():
    model, tmodel = _bn_models()
    weight = model[0].weight
    with pytest.raises(RuntimeError):
        LF.functional_call(model, {"0.weight": latte.zeros(2, 3)}, (latte.ones(4, 5),))
    assert model[0].weight is weight
    with pytest.raises(RuntimeError) as info:
        LF.functional_call(model, {"0.weight": latte.ones(2, 3), "foo": latte.ones(1)},
                           latte.ones(4, 3), strict=True)
    with pytest.raises(RuntimeError) as tinfo:
        TF.functional_call(tmodel, {"0.weight": torch.ones(2, 3), "foo": torch.ones(1)},
                           torch.ones(4, 3), strict=True)
    assert str(info.value) == str(tinfo.value)
    with pytest.raises(ValueError, match=r"\['0.weight'\] appeared in multiple dictionaries"):
        LF.functional_call(model, ({"0.weight": weight}, {"0.weight": weight}), latte.ones(4, 3))
    assert not hasattr(model, "foo")


def test_functional_call_tied_weights():
    class Tied(latte.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = latte.nn.Linear(2, 2, bias=False)
            self.b = latte.nn.Linear(2, 2, bias=False)
            self.b.weight = self.a.weight

        def forward(self, x):
            return self.b(x) + self.a(x)

    m = Tied()
    out = LF.functional_call(m, {"a.weight": latte.eye(2)}, latte.ones(1, 2))
    assert out.tolist() == [[2.0, 2.0]]
    untied = LF.functional_call(m, {"a.weight": latte.eye(2)}, latte.ones(1, 2), tie_weights=False)
    assert untied.tolist() != out.tolist()
    with pytest.raises(ValueError, match="which are tied. Consider using tie_weights=False"):
        LF.functional_call(m, {"a.weight": latte.eye(2), "b.weight": latte.ones(2, 2)},
                           latte.ones(1, 2))


def test_stack_module_state_ensemble():
    models = [latte.nn.Sequential(latte.nn.Linear(3, 4), latte.nn.BatchNorm1d(4)).eval()
              for _ in range(3)]
    params, buffers = LF.stack_module_state(models)
    assert list(params) == ["0.weight", "0.bias", "1.weight", "1.bias"]
    assert tuple(params["0.weight"].shape) == (3, 4, 3) and params["0.weight"].is_leaf
    assert params["0.weight"].requires_grad and not buffers["1.running_mean"].requires_grad
    x, _ = _pair(5, 3)
    x = x.float()

    def run(p, b, data):
        return LF.functional_call(models[0], (p, b), (data,))

    out = LF.vmap(run, in_dims=(0, 0, None))(params, buffers, x)
    expected = latte.stack([m(x) for m in models])
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-6)
    out.sum().backward()
    assert tuple(params["0.weight"].grad.shape) == (3, 4, 3)
    with pytest.raises(RuntimeError, match="Expected at least one model, got 0"):
        LF.stack_module_state([])
    with pytest.raises(RuntimeError, match="same training/eval mode"):
        LF.stack_module_state([latte.nn.Linear(1, 1), latte.nn.Linear(1, 1).eval()])


def test_replace_all_batch_norm_modules():
    net = latte.nn.Sequential(latte.nn.Linear(3, 3), latte.nn.BatchNorm1d(3))
    assert LF.replace_all_batch_norm_modules_(net) is net
    bn = net[1]
    assert bn.running_mean is None and bn.running_var is None and not bn.track_running_stats
    assert tuple(net(latte.randn(4, 3)).shape) == (4, 3)


def test_compat_maps_torch_func(tmp_path):
    script = tmp_path / "uses_func.py"
    script.write_text("import torch\nfrom torch.func import vmap, grad\n"
                      "x = torch.ones(4, 3)\n"
                      "print(vmap(grad(lambda a: (a ** 2).sum()))(x).sum().item(), "
                      "torch.vmap is vmap)\n")
    out = subprocess.run([sys.executable, "-m", "latte.compat", str(script)], capture_output=True,
                         text=True, check=True)
    assert out.stdout.split() == ["24.0", "True"]
