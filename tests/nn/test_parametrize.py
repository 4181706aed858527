"""nn.utils.parametrize and nn.utils.parametrizations against PyTorch: forward values given the
same weights, state_dict keys, gradients on the originals, removal both ways, caching,
right_inverse on assignment, weight_norm / spectral_norm / orthogonal after loading the same
state dict."""
import copy
import pickle

import numpy as np
import pytest

import latte
import latte.nn.utils.parametrizations as LPs
import latte.nn.utils.parametrize as LP

torch = pytest.importorskip("torch")
TP = torch.nn.utils.parametrize
TPs = torch.nn.utils.parametrizations


def _parametrizations(lib):
    """The same user parametrizations written against ``lib`` (latte or torch)."""
    nn = lib.nn

    class Symmetric(nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).T

        def right_inverse(self, A):
            return A.triu()

    class Scale(nn.Module):
        def forward(self, X):
            return X * 2.0

        def right_inverse(self, A):
            return A / 2.0

    class RankOne(nn.Module):
        def forward(self, x, y):
            return x.unsqueeze(-1) @ y.unsqueeze(-2)

        def right_inverse(self, Z):
            return Z[:, 0].clone(), Z[0, :].clone()

    class Skew(nn.Module):  # no right_inverse
        def forward(self, X):
            return X - X.T

    return {"Symmetric": Symmetric, "Scale": Scale, "RankOne": RankOne, "Skew": Skew}


LAT, TOR = _parametrizations(latte), _parametrizations(torch)


def _linear_pair(n_in=4, n_out=4, seed=0):
    torch.manual_seed(seed)
    t = torch.nn.Linear(n_in, n_out).double()
    m = latte.nn.Linear(n_in, n_out).double()
    m.load_state_dict(t.state_dict())
    return m, t


def _np(x):
    return x.detach().numpy() if hasattr(x, "detach") else np.asarray(x)


def _close(a, b, tol=1e-10):
    np.testing.assert_allclose(_np(a), _np(b), rtol=tol, atol=tol)


def _forward_backward(m, t, shape, seed=1):
    x = np.random.default_rng(seed).standard_normal(shape)
    y_l, y_t = m(latte.tensor(x)), t(torch.tensor(x))
    _close(y_l, y_t)
    (y_l ** 2).sum().backward()
    (y_t ** 2).sum().backward()
    grads_t = dict(t.named_parameters())
    for name, p in m.named_parameters():
        _close(p.grad, grads_t[name].grad)


@pytest.mark.parametrize("names", [["Symmetric"], ["Skew"], ["Symmetric", "Scale"], ["RankOne"],
                                   ["RankOne", "Scale"]])
def test_registered_parametrizations_match_pytorch(names):
    m, t = _linear_pair()
    for name in names:
        LP.register_parametrization(m, "weight", LAT[name]())
        TP.register_parametrization(t, "weight", TOR[name]())
    assert list(m.state_dict()) == list(t.state_dict())
    assert [n for n, _ in m.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert type(m).__name__ == type(t).__name__ == "ParametrizedLinear"
    for key, value in t.state_dict().items():
        _close(m.state_dict()[key], value)
    _close(m.weight, t.weight)
    _forward_backward(m, t, (3, 4))


def test_original_keeps_the_parameter_object_and_the_optimizer_updates_it():
    m, _ = _linear_pair()
    w = m.weight
    LP.register_parametrization(m, "weight", LAT["Symmetric"]())
    assert m.parametrizations.weight.original is w
    assert isinstance(m.parametrizations.weight.original, latte.nn.Parameter)
    opt = latte.optim.SGD(m.parameters(), lr=0.1)
    before = w.detach().clone()
    m(latte.ones(2, 4, dtype=latte.float64)).sum().backward()
    opt.step()
    assert not latte.allclose(w, before)
    assert latte.allclose(m.weight, m.weight.T)


def test_a_buffer_can_be_parametrized():
    m, t = latte.nn.Module(), torch.nn.Module()
    a = np.random.default_rng(0).standard_normal((3, 3))
    m.register_buffer("b", latte.tensor(a))
    t.register_buffer("b", torch.tensor(a))
    LP.register_parametrization(m, "b", LAT["Symmetric"]())
    TP.register_parametrization(t, "b", TOR["Symmetric"]())
    assert list(m.state_dict()) == list(t.state_dict())
    assert [n for n, _ in m.named_buffers()] == [n for n, _ in t.named_buffers()]
    _close(m.b, t.b)


def test_assignment_calls_right_inverse():
    m, t = _linear_pair()
    for mod, lib, P in ((m, LAT, LP), (t, TOR, TP)):
        P.register_parametrization(mod, "weight", lib["Symmetric"]())
        P.register_parametrization(mod, "weight", lib["Scale"]())
    a = np.random.default_rng(5).standard_normal((4, 4))
    a = a + a.T
    m.weight = latte.tensor(a)
    t.weight = torch.tensor(a)
    _close(m.weight, a)
    _close(m.parametrizations.weight.original, t.parametrizations.weight.original)
    # tuple originals are assigned element by element
    m2, t2 = _linear_pair()
    LP.register_parametrization(m2, "weight", LAT["RankOne"]())
    TP.register_parametrization(t2, "weight", TOR["RankOne"]())
    r = np.outer(np.arange(1.0, 5.0), np.arange(2.0, 6.0))
    m2.weight = latte.tensor(r)
    t2.weight = torch.tensor(r)
    _close(m2.parametrizations.weight.original0, t2.parametrizations.weight.original0)
    _close(m2.parametrizations.weight.original1, t2.parametrizations.weight.original1)


def test_assignment_without_right_inverse_is_an_error():
    m, _ = _linear_pair()
    LP.register_parametrization(m, "weight", LAT["Skew"]())
    with pytest.raises(RuntimeError, match="Skew does not implement right_inverse"):
        m.weight = latte.zeros(4, 4, dtype=latte.float64)


@pytest.mark.parametrize("leave", [True, False])
@pytest.mark.parametrize("name", ["Symmetric", "RankOne"])
def test_remove_parametrizations_both_ways(leave, name):
    m, t = _linear_pair()
    w = m.weight
    LP.register_parametrization(m, "weight", LAT[name]())
    TP.register_parametrization(t, "weight", TOR[name]())
    if name == "RankOne" and not leave:
        with pytest.raises(ValueError, match="Cannot leave unparametrized"):
            LP.remove_parametrizations(m, "weight", leave_parametrized=False)
        return
    LP.remove_parametrizations(m, "weight", leave_parametrized=leave)
    TP.remove_parametrizations(t, "weight", leave_parametrized=leave)
    assert type(m) is latte.nn.Linear and not hasattr(m, "parametrizations")
    assert not LP.is_parametrized(m)
    assert list(m.state_dict()) == list(t.state_dict())
    assert isinstance(m.weight, latte.nn.Parameter)
    if name == "Symmetric":
        assert m.weight is w
    _close(m.weight, t.weight)


def test_remove_one_of_two_keeps_the_class():
    m = latte.nn.Linear(3, 3)
    LP.register_parametrization(m, "weight", LAT["Skew"]())
    m.register_buffer("extra", latte.randn(3, 3))
    LP.register_parametrization(m, "extra", LAT["Symmetric"]())
    LP.remove_parametrizations(m, "weight")
    assert LP.is_parametrized(m) and LP.is_parametrized(m, "extra")
    assert not LP.is_parametrized(m, "weight")
    assert type(m).__name__ == "ParametrizedLinear"
    assert LP.type_before_parametrizations(m) is latte.nn.Linear
    with pytest.raises(ValueError, match="does not have a parametrization on weight"):
        LP.remove_parametrizations(m, "weight")


def test_cached_computes_once_inside_the_block():
    calls = []

    class Counting(latte.nn.Module):
        def forward(self, X):
            calls.append(1)
            return X * 3.0

    m = latte.nn.Linear(3, 3)
    LP.register_parametrization(m, "weight", Counting(), unsafe=True)
    calls.clear()
    with LP.cached():
        a, b = m.weight, m.weight
        with LP.cached():
            c = m.weight
    assert a is b is c and len(calls) == 1
    d = m.weight
    assert d is not a and len(calls) == 2


def test_registration_checks_shape_and_dtype_unless_unsafe():
    class Shrink(latte.nn.Module):
        def forward(self, X):
            return X[:2]

    m = latte.nn.Linear(3, 3)
    with pytest.raises(ValueError, match="may not change the shape"):
        LP.register_parametrization(m, "weight", Shrink())
    LP.register_parametrization(m, "weight", Shrink(), unsafe=True)
    assert tuple(m.weight.shape) == (2, 3)
    with pytest.raises(ValueError, match="does not have a parameter, a buffer"):
        LP.register_parametrization(m, "nothing", Shrink())


def test_deepcopy_works_and_pickle_refuses_as_pytorch():
    m, _ = _linear_pair()
    LP.register_parametrization(m, "weight", LAT["Symmetric"]())
    c = copy.deepcopy(m)
    assert type(c).__name__ == "ParametrizedLinear"
    _close(c.weight, m.weight)
    assert c.parametrizations.weight.original is not m.parametrizations.weight.original
    with pytest.raises(RuntimeError, match="only supported through state_dict"):
        pickle.dumps(m)


def test_transfer_parametrizations_shares_the_originals_as_pytorch():
    m, t = _linear_pair()
    LPs.weight_norm(m)
    TPs.weight_norm(t)
    m2, t2 = latte.nn.Module(), torch.nn.Module()
    LP.transfer_parametrizations_and_params(m, m2)
    TP.transfer_parametrizations_and_params(t, t2)
    assert list(m2.state_dict()) == list(t2.state_dict())
    assert m2.parametrizations.weight.original1 is m.parametrizations.weight.original1
    _close(m2.weight, t2.weight)


def test_train_mode_follows_the_module():
    m = latte.nn.Linear(3, 3).eval()
    p = LAT["Skew"]()
    LP.register_parametrization(m, "weight", p)
    assert not p.training
    m.train()
    assert p.training


# --- weight_norm, spectral_norm, orthogonal --------------------------------------------------
def _pair_of(kind, seed=0):
    torch.manual_seed(seed)
    make = {"linear": lambda nn: nn.Linear(5, 4),
            "conv": lambda nn: nn.Conv2d(3, 4, 3),
            "convT": lambda nn: nn.ConvTranspose2d(3, 4, 3)}[kind]
    t = make(torch.nn).double()
    m = make(latte.nn).double()
    m.load_state_dict(t.state_dict())
    shape = {"linear": (2, 5), "conv": (2, 3, 6, 6), "convT": (2, 3, 4, 4)}[kind]
    return m, t, shape


@pytest.mark.parametrize("kind,dim", [("linear", 0), ("linear", 1), ("linear", None),
                                      ("conv", 0), ("conv", 1), ("conv", -2), ("conv", None)])
def test_weight_norm_matches_pytorch(kind, dim):
    m, t, shape = _pair_of(kind)
    LPs.weight_norm(m, dim=dim)
    TPs.weight_norm(t, dim=dim)
    assert list(m.state_dict()) == list(t.state_dict())
    for key, value in t.state_dict().items():  # right_inverse gave the same g and v
        _close(m.state_dict()[key], value)
    # the same (perturbed) state dict: forward and gradients on original0/original1
    state = {k: v + 0.1 * torch.randn_like(v) for k, v in t.state_dict().items()}
    m.load_state_dict(state)
    t.load_state_dict(state)
    _forward_backward(m, t, shape)


@pytest.mark.parametrize("kind", ["linear", "conv", "convT"])
@pytest.mark.parametrize("train", [True, False])
def test_spectral_norm_matches_pytorch_after_loading_the_state_dict(kind, train):
    m, t, shape = _pair_of(kind)
    LPs.spectral_norm(m, n_power_iterations=2)
    TPs.spectral_norm(t, n_power_iterations=2)
    assert list(m.state_dict()) == list(t.state_dict())
    m.load_state_dict(t.state_dict())
    m.train(train)
    t.train(train)
    for _ in range(2):  # each training forward advances the power iteration
        for p in (*m.parameters(), *t.parameters()):
            p.grad = None
        _forward_backward(m, t, shape)
        for key, value in t.state_dict().items():
            _close(m.state_dict()[key], value)
    # the parametrized weight has spectral norm about 1
    w = np.moveaxis(_np(m.weight), 1 if kind == "convT" else 0, 0)
    sigma = np.linalg.svd(w.reshape(w.shape[0], -1), compute_uv=False)
    assert sigma[0] == pytest.approx(1.0, rel=0.2)


def test_spectral_norm_of_a_vector_normalizes_it():
    m = latte.nn.Module()
    m.w = latte.nn.Parameter(latte.tensor([3.0, 4.0], dtype=latte.float64))
    LPs.spectral_norm(m, "w")
    _close(m.w, [0.6, 0.8])


@pytest.mark.parametrize("omap", ["matrix_exp", "cayley", "householder", None])
@pytest.mark.parametrize("shape", [(5, 5), (5, 3), (3, 5)])
@pytest.mark.parametrize("triv", [True, False])
def test_orthogonal_matches_pytorch(omap, shape, triv):
    torch.manual_seed(0)
    t = torch.nn.Linear(shape[1], shape[0]).double()
    m = latte.nn.Linear(shape[1], shape[0]).double()
    m.load_state_dict(t.state_dict())
    LPs.orthogonal(m, orthogonal_map=omap, use_trivialization=triv)
    TPs.orthogonal(t, orthogonal_map=omap, use_trivialization=triv)
    assert list(m.state_dict()) == list(t.state_dict())
    m.load_state_dict(t.state_dict())  # the same base (drawn at random for non-square)
    Q = _np(m.weight)
    _close(Q, t.weight, tol=1e-8)
    small = Q.T @ Q if shape[0] >= shape[1] else Q @ Q.T
    _close(small, np.eye(min(shape)), tol=1e-8)
    _forward_backward(m, t, (2, shape[1]))


def test_orthogonal_assignment_matches_pytorch():
    torch.manual_seed(0)
    t = torch.nn.Linear(4, 4).double()
    m = latte.nn.Linear(4, 4).double()
    m.load_state_dict(t.state_dict())
    LPs.orthogonal(m, orthogonal_map="cayley")
    TPs.orthogonal(t, orthogonal_map="cayley")
    q = np.linalg.qr(np.random.default_rng(2).standard_normal((4, 4)))[0]
    m.weight = latte.tensor(q)
    t.weight = torch.tensor(q)
    _close(m.weight, q, tol=1e-8)
    for key, value in t.state_dict().items():
        _close(m.state_dict()[key], value, tol=1e-8)
    with pytest.raises(ValueError, match="orthogonal_map has to be one of"):
        LPs.orthogonal(latte.nn.Linear(3, 3), orthogonal_map="qr")
    with pytest.raises(ValueError, match="Expected a matrix or batch of matrices"):
        m1 = latte.nn.Module()
        m1.w = latte.nn.Parameter(latte.ones(3))
        LPs.orthogonal(m1, "w")


def test_householder_product_matches_pytorch():
    a = np.random.default_rng(4).standard_normal((2, 5, 3))
    tau = np.random.default_rng(5).standard_normal((2, 3))
    ours = latte.linalg.householder_product(latte.tensor(a), latte.tensor(tau))
    theirs = torch.linalg.householder_product(torch.tensor(a), torch.tensor(tau))
    _close(ours, theirs)


def test_torch_names_import_under_latte_run(tmp_path):
    import subprocess
    import sys
    script = tmp_path / "s.py"
    script.write_text(
        "import torch\nimport torch.nn.utils.parametrize as P\n"
        "from torch.nn.utils.parametrizations import weight_norm\n"
        "m = weight_norm(torch.nn.Linear(3, 2))\n"
        "print(P.is_parametrized(m), sorted(m.state_dict()))\n")
    run = subprocess.run([sys.executable, "-m", "latte.compat", str(script)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == ("True ['bias', 'parametrizations.weight.original0', "
                                  "'parametrizations.weight.original1']")


# --- the legacy hook-based nn.utils.weight_norm / spectral_norm --------------------------------
@pytest.mark.filterwarnings("ignore::FutureWarning")
@pytest.mark.parametrize("kind,dim", [("linear", 0), ("conv", 1), ("conv", None)])
def test_legacy_weight_norm_matches_pytorch(kind, dim):
    m, t, shape = _pair_of(kind)
    latte.nn.utils.weight_norm(m, dim=dim)
    torch.nn.utils.weight_norm(t, dim=dim)
    assert list(m.state_dict()) == list(t.state_dict())
    for key, value in t.state_dict().items():
        _close(m.state_dict()[key], value)
    state = {k: v + 0.1 * torch.randn_like(v) for k, v in t.state_dict().items()}
    m.load_state_dict(state)
    t.load_state_dict(state)
    _forward_backward(m, t, shape)
    latte.nn.utils.remove_weight_norm(m)
    torch.nn.utils.remove_weight_norm(t)
    assert list(m.state_dict()) == list(t.state_dict())
    _close(m.weight, t.weight)
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found"):
        latte.nn.utils.remove_weight_norm(m)


def test_legacy_weight_norm_warns_as_deprecated():
    with pytest.warns(FutureWarning, match="parametrizations.weight_norm"):
        latte.nn.utils.weight_norm(latte.nn.Linear(2, 2))


@pytest.mark.parametrize("kind", ["linear", "conv", "convT"])
def test_legacy_spectral_norm_matches_pytorch(kind):
    m, t, shape = _pair_of(kind)
    latte.nn.utils.spectral_norm(m, n_power_iterations=2)
    torch.nn.utils.spectral_norm(t, n_power_iterations=2)
    assert list(m.state_dict()) == list(t.state_dict())
    m.load_state_dict(t.state_dict())
    for train in (True, True, False):
        m.train(train)
        t.train(train)
        for p in (*m.parameters(), *t.parameters()):
            p.grad = None
        _forward_backward(m, t, shape)
        for key, value in t.state_dict().items():
            _close(m.state_dict()[key], value)
    latte.nn.utils.remove_spectral_norm(m)
    torch.nn.utils.remove_spectral_norm(t)
    assert list(m.state_dict()) == list(t.state_dict())
    _close(m.weight, t.weight)
