"""The long tail of top-level ``torch.*`` names, against PyTorch: dtype information and
promotion, print options, global flags, the ``torch.*`` forms of ``nn.functional`` ops, window
functions and the memory-sharing constructors."""
from __future__ import annotations

import array
import inspect
import warnings

import numpy as np
import pytest

import latte

torch = pytest.importorskip("torch")

DTYPES = ["float16", "float32", "float64", "uint8", "int8", "int16", "int32", "int64", "bool"]


def L(name):
    return getattr(latte, name)


def T(name):
    return getattr(torch, name)


def np_of(t):
    return t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t.detach()._data)


def same(ours, theirs, rtol=1.3e-6, atol=1e-5):
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1], \
        (ours.dtype, theirs.dtype)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(np_of(ours).astype(np.float64), np_of(theirs).astype(np.float64),
                               rtol=rtol, atol=atol)


# --- dtype information and promotion -------------------------------------------------------
@pytest.mark.parametrize("name", ["float16", "float32", "float64"])
def test_finfo_matches_pytorch(name):
    ours, theirs = latte.finfo(L(name)), torch.finfo(T(name))
    for attr in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(ours, attr) == getattr(theirs, attr), attr
        assert type(getattr(ours, attr)) is type(getattr(theirs, attr)), attr
    assert repr(ours) == repr(theirs)


def test_finfo_default_follows_the_default_dtype():
    assert latte.finfo().dtype == "float32"
    latte.set_default_dtype(latte.float64)
    try:
        assert latte.finfo() == latte.finfo(latte.float64)
    finally:
        latte.set_default_dtype(latte.float32)


@pytest.mark.parametrize("name", ["uint8", "int8", "int16", "int32", "int64"])
def test_iinfo_matches_pytorch(name):
    ours, theirs = latte.iinfo(L(name)), torch.iinfo(T(name))
    for attr in ("bits", "max", "min", "dtype"):
        assert getattr(ours, attr) == getattr(theirs, attr)
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("call,arg", [("finfo", "int32"), ("finfo", "bool"), ("iinfo", "float32"),
                                      ("iinfo", "bool"), ("finfo", 3), ("iinfo", None)])
def test_info_of_the_wrong_kind_raises_type_error_as_pytorch(call, arg):
    with pytest.raises(TypeError):
        getattr(torch, call)(T(arg) if isinstance(arg, str) else arg)
    with pytest.raises(TypeError, match="finfo|iinfo"):
        getattr(latte, call)(L(arg) if isinstance(arg, str) else arg)


@pytest.mark.parametrize("a", DTYPES)
@pytest.mark.parametrize("b", DTYPES)
def test_promote_types_and_can_cast_match_pytorch(a, b):
    assert latte.promote_types(L(a), L(b)).name == str(torch.promote_types(T(a), T(b)))[6:]
    assert latte.can_cast(L(a), L(b)) == torch.can_cast(T(a), T(b))


def _operands(lib):
    t = lib.tensor
    return [t([1]), t([1], dtype=lib.int8), t([1.0]), t([1.0], dtype=lib.float16),
            t([True]), t(1), t(1.0, dtype=lib.float64), t(1, dtype=lib.int32), t(True),
            t([1.0], dtype=lib.float64), 2, 2.5, True]


@pytest.mark.parametrize("i", range(13))
@pytest.mark.parametrize("j", range(13))
def test_result_type_matches_pytorch(i, j):
    ours, theirs = _operands(latte), _operands(torch)
    assert latte.result_type(ours[i], ours[j]).name == \
        str(torch.result_type(theirs[i], theirs[j]))[6:]


def test_result_type_of_a_non_number_raises():
    with pytest.raises(TypeError, match="result_type"):
        latte.result_type(1, "a")


def test_is_storage_and_typename_match_pytorch():
    for lib in (latte, torch):
        t = lib.tensor([1.0])
        assert lib.is_storage(t.untyped_storage()) and not lib.is_storage(t)
        assert not lib.is_storage(3)
    for make in (lambda lib: lib.tensor([1.0]), lambda lib: lib.tensor([1]),
                 lambda lib: lib.tensor([True]), lambda lib: lib.tensor([1], dtype=lib.uint8)):
        assert latte.typename(make(latte)).split(".")[1] == torch.typename(make(torch))[6:]
    assert latte.typename(3) == torch.typename(3) == "int"
    assert latte.typename(latte.nn.Linear(1, 1)).endswith(".Linear")
    assert latte.typename(latte.Tensor) == "latte.tensor.Tensor"


# --- print options ------------------------------------------------------------------------------
PRINT_OPTIONS = [dict(precision=2), dict(threshold=5), dict(sci_mode=True), dict(sci_mode=False),
                 dict(profile="short"), dict(profile="full"), dict(edgeitems=1, threshold=3),
                 dict(linewidth=20), dict(profile="short", precision=6)]


def _printed(lib):
    t = lib.tensor
    return [t([1.12345, 2.5]), t([1e-5, 1.0]), t([1.0, 2.0]), t([1e10, 1.0]), t([1, 2]),
            lib.arange(10), lib.arange(20.0).reshape(4, 5) / 3, lib.arange(2000.0)]


@pytest.mark.parametrize("options", PRINT_OPTIONS, ids=str)
def test_set_printoptions_prints_as_pytorch(options):
    try:
        latte.set_printoptions(**options)
        torch.set_printoptions(**options)
        for ours, theirs in zip(_printed(latte), _printed(torch)):
            assert repr(ours) == repr(theirs).replace("torch.", "latte.")
    finally:
        latte.set_printoptions(profile="default")
        torch.set_printoptions(profile="default")
    assert repr(latte.tensor([1.12345])) == "tensor([1.1235])"


def test_printoptions_context_and_get_printoptions():
    from latte import _tensor_str
    before = _tensor_str.get_printoptions()
    assert before == torch._tensor_str.get_printoptions()
    with _tensor_str.printoptions(precision=1, sci_mode=True):
        assert repr(latte.tensor([1.25])) == "tensor([1.2e+00])"
    assert _tensor_str.get_printoptions() == before
    with pytest.raises(ValueError, match="profile"):
        latte.set_printoptions(profile="wide")


def test_set_printoptions_has_pytorchs_parameters():
    assert list(inspect.signature(latte.set_printoptions).parameters) == \
        list(inspect.signature(torch.set_printoptions).parameters)


# --- global flags -----------------------------------------------------------------------------
def test_flags_read_back_what_was_set_as_pytorch():
    assert latte.are_deterministic_algorithms_enabled() is False
    latte.use_deterministic_algorithms(True, warn_only=True)
    try:
        assert latte.are_deterministic_algorithms_enabled() is True
        assert latte.is_deterministic_algorithms_warn_only_enabled() is True
    finally:
        latte.use_deterministic_algorithms(False)
    assert latte.is_deterministic_algorithms_warn_only_enabled() is False
    with pytest.raises(TypeError):
        latte.use_deterministic_algorithms("yes")
    assert latte.get_float32_matmul_precision() == "highest"
    latte.set_float32_matmul_precision("medium")
    try:
        assert latte.get_float32_matmul_precision() == "medium"
        with pytest.warns(UserWarning, match="no effect"):
            latte.set_float32_matmul_precision("low")
        assert latte.get_float32_matmul_precision() == "medium"
    finally:
        latte.set_float32_matmul_precision("highest")
    latte.set_warn_always(True)
    assert latte.is_warn_always_enabled() is True
    latte.set_warn_always(False)
    assert latte.is_warn_always_enabled() is False
    assert latte.set_flush_denormal(True) is False  # not supported: values stay IEEE's


def test_interop_threads_are_recorded():
    old = latte.get_num_interop_threads()
    latte.set_num_interop_threads(3)
    try:
        assert latte.get_num_interop_threads() == 3
    finally:
        latte.set_num_interop_threads(old)
    with pytest.raises(RuntimeError, match="positive"):
        latte.set_num_interop_threads(0)


@pytest.mark.parametrize("name", ["use_deterministic_algorithms", "set_float32_matmul_precision",
                                  "set_warn_always", "set_flush_denormal",
                                  "set_num_interop_threads"])
def test_flag_signatures_match_pytorch(name):
    try:
        expected = list(inspect.signature(T(name)).parameters)
    except ValueError:  # a builtin without a signature: PyTorch documents one argument
        expected = None
    ours = list(inspect.signature(L(name)).parameters)
    assert ours == expected if expected is not None else len(ours) == 1


# --- nn functional at top level ---------------------------------------------------------------
def _schema_names(name):
    """Parameter names of ATen's op ``name`` (``self`` is ``input`` in Python)."""
    schemas = [s for s in torch._C._jit_get_schemas_for_operator(f"aten::{name}")
               if not s.overload_name.endswith("out")]
    return [["input" if a.name == "self" else a.name for a in s.arguments] for s in schemas]


ATEN_NAMED = ["max_pool1d", "max_pool2d", "max_pool1d_with_indices", "adaptive_max_pool1d",
              "dropout", "dropout_", "alpha_dropout", "alpha_dropout_", "feature_dropout",
              "feature_dropout_", "feature_alpha_dropout", "feature_alpha_dropout_",
              "layer_norm", "group_norm", "batch_norm", "instance_norm", "embedding", "rrelu",
              "selu", "selu_", "celu", "celu_", "threshold", "threshold_", "kl_div",
              "margin_ranking_loss", "hinge_embedding_loss", "cosine_embedding_loss",
              "triplet_margin_loss", "poisson_nll_loss", "binary_cross_entropy_with_logits",
              "constant_pad_nd", "rsub", "zero_", "fill", "fill_", "conv1d", "conv2d",
              "conv_transpose1d", "avg_pool1d", "adaptive_avg_pool1d", "bilinear",
              "cosine_similarity", "pairwise_distance", "pdist", "pixel_shuffle",
              "pixel_unshuffle", "channel_shuffle", "native_channel_shuffle", "prelu",
              "hardshrink", "relu_", "rrelu_"]


@pytest.mark.parametrize("name", ATEN_NAMED)
def test_parameter_names_are_atens(name):
    ours = [p for p in inspect.signature(L(name)).parameters if p != "out"]
    assert ours in _schema_names(name), (ours, _schema_names(name))


def _pair(shape, seed=0, low=-2.0, high=2.0, dtype=np.float32):
    values = np.random.RandomState(seed).uniform(low, high, shape).astype(dtype)
    return latte.tensor(values), torch.tensor(values)


def _run(name, *args, **kwargs):
    """Call latte.name and torch.name on the same arguments (tensors given as pairs)."""
    pick = [lambda a: a[0] if isinstance(a, tuple) and len(a) == 2 and
            isinstance(a[0], latte.Tensor) else a,
            lambda a: a[1] if isinstance(a, tuple) and len(a) == 2 and
            isinstance(a[0], latte.Tensor) else a]
    return [getattr(lib, name)(*[p(a) for a in args], **{k: p(v) for k, v in kwargs.items()})
            for lib, p in ((latte, pick[0]), (torch, pick[1]))]


def _compare(ours, theirs):
    if isinstance(theirs, (tuple, list)):
        for o, t in zip(ours, theirs):
            _compare(o, t)
    else:
        same(ours, theirs)


x3, x4 = _pair((2, 4, 6)), _pair((2, 4, 6, 6), 1)
w1, w2 = _pair((3, 4, 3), 2), _pair((3, 4, 3, 3), 3)
wt1, wt2 = _pair((4, 3, 3), 2), _pair((4, 3, 3, 3), 3)
b3, c4 = _pair((3,), 4), _pair((4,), 5)
v1, v2 = _pair((5, 4), 6), _pair((5, 4), 7)
tgt = (latte.tensor([1.0, -1.0, 1.0, -1.0, 1.0]), torch.tensor([1.0, -1.0, 1.0, -1.0, 1.0]))
prob = _pair((5, 4), 8, 0.05, 0.95)
idx = (latte.tensor([[0, 2], [4, 1]]), torch.tensor([[0, 2], [4, 1]]))

CASES = {
    "conv1d": ((x3, w1, b3), {"padding": 1}),
    "conv2d": ((x4, w2, b3), {"stride": 2}),
    "conv_transpose1d": ((x3, wt1, b3), {"stride": 2, "output_padding": 1}),
    "conv_transpose2d": ((x4, wt2), {}),
    "max_pool1d": ((x3, 2), {}),
    "max_pool2d": ((x4, 3, 2, 1), {}),
    "max_pool1d_with_indices": ((x3, 3, 2), {}),
    "avg_pool1d": ((x3, 2), {}),
    "adaptive_avg_pool1d": ((x3, 4), {}),
    "adaptive_max_pool1d": ((x3, 4), {}),
    "layer_norm": ((x3, (6,)), {}),
    "group_norm": ((x4, 2, c4, c4), {}),
    "batch_norm": ((x4, c4, c4, None, None, True, 0.1, 1e-5, False), {}),
    "instance_norm": ((x3, None, None, None, None, True, 0.1, 1e-5, False), {}),
    "embedding": ((v1, idx), {}),
    "bilinear": ((v1, v2, _pair((3, 4, 4), 9)), {}),
    "cosine_similarity": ((v1, v2), {}),
    "pairwise_distance": ((v1, v2), {}),
    "pdist": ((v1,), {}),
    "pixel_shuffle": ((_pair((1, 8, 2, 2)), 2), {}),
    "pixel_unshuffle": ((x4, 2), {}),
    "channel_shuffle": ((x4, 2), {}),
    "native_channel_shuffle": ((x4, 2), {}),
    "prelu": ((x3, c4), {}),
    "rrelu": ((x3,), {}),
    "selu": ((x3,), {}),
    "celu": ((x3, 0.5), {}),
    "threshold": ((x3, 0.5, -1.0), {}),
    "hardshrink": ((x3, 0.7), {}),
    "kl_div": ((_pair((5, 4), 10, -3.0, -0.1), prob), {}),
    "margin_ranking_loss": ((_pair((5,), 11), _pair((5,), 12), tgt), {"margin": 0.3}),
    "hinge_embedding_loss": ((_pair((5,), 13), tgt), {"reduction": 2}),
    "cosine_embedding_loss": ((v1, v2, tgt), {"reduction": 0}),
    "triplet_margin_loss": ((v1, v2, _pair((5, 4), 14)), {"margin": 0.5}),
    "poisson_nll_loss": ((v1, prob, True, False, 1e-8, 1), {}),
    "binary_cross_entropy_with_logits": ((v1, prob), {"pos_weight": c4}),
    "constant_pad_nd": ((x3, (1, 2, -1, 0), 0.5), {}),
    "rsub": ((v1, v2), {"alpha": 2}),
    "fill": ((v1, 3.0), {}),
    "dropout": ((x3, 0.5, False), {}),
    "alpha_dropout": ((x3, 0.5, False), {}),
    "feature_dropout": ((x3, 0.5, False), {}),
    "feature_alpha_dropout": ((x3, 0.5, False), {}),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_match_pytorch(name):
    args, kwargs = CASES[name]
    ours, theirs = _run(name, *args, **kwargs)
    _compare(ours, theirs)


@pytest.mark.parametrize("name,args", [("relu_", ()), ("selu_", ()), ("celu_", (0.5,)),
                                       ("threshold_", (0.1, 9.0)), ("rrelu_", ()),
                                       ("zero_", ()), ("fill_", (2.5,)),
                                       ("dropout_", (0.5, False))])
def test_in_place_forms_write_into_their_input(name, args):
    ours, theirs = _pair((3, 4), 20)
    out_ours, out_theirs = L(name)(ours, *args), T(name)(theirs, *args)
    assert out_ours is ours
    same(ours, theirs)
    same(out_ours, out_theirs)


def test_rsub_with_a_number_and_int_promotion():
    for other in (10, 2.5):
        same(latte.rsub(latte.tensor([1, 2]), other), torch.rsub(torch.tensor([1, 2]), other))
    same(latte.rsub(latte.tensor([1.0, 2.0]), 3.0, alpha=0.5),
         torch.rsub(torch.tensor([1.0, 2.0]), 3.0, alpha=0.5))


def test_fill_keeps_the_input_and_accepts_a_0d_value():
    x = latte.tensor([1, 2])
    assert latte.fill(x, latte.tensor(7)).tolist() == [7, 7] and x.tolist() == [1, 2]
    with pytest.raises(RuntimeError, match="0-dimension"):
        latte.fill_(x, latte.tensor([1, 2]))


def test_dropout_in_training_drops_and_scales():
    latte.manual_seed(0)
    x = latte.ones(2000)
    y = latte.dropout(x, 0.25, True)
    kept = y[y != 0]
    assert 0.6 < kept.numel() / 2000 < 0.9 and np.allclose(np_of(kept), 1 / 0.75)
    planes = latte.feature_dropout(latte.ones(4, 50, 3), 0.5, True)
    per_plane = np_of(planes)
    assert ((per_plane == 0).all(-1) | (per_plane == 2.0).all(-1)).all()
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        latte.feature_dropout(latte.ones(4), 0.5, True)


def test_losses_reject_an_unknown_reduction():
    with pytest.raises(ValueError, match="reduction"):
        latte.kl_div(latte.zeros(2), latte.zeros(2), 5)


def test_top_level_forms_keep_gradients():
    ours, theirs = _pair((2, 4, 6), 30, dtype=np.float64)
    ours.requires_grad_(True)
    theirs.requires_grad_(True)
    latte.layer_norm(ours, (6,)).pow(2).sum().backward()
    torch.layer_norm(theirs, (6,)).pow(2).sum().backward()
    same(ours.grad, theirs.grad)


# --- windows ------------------------------------------------------------------------------------
WINDOWS = ["hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window"]


@pytest.mark.parametrize("name", WINDOWS)
@pytest.mark.parametrize("n", [0, 1, 2, 5, 8, 33])
@pytest.mark.parametrize("periodic", [True, False])
def test_windows_match_pytorch(name, n, periodic):
    same(L(name)(n, periodic), T(name)(n, periodic))
    same(L(name)(n, periodic=periodic, dtype=latte.float64),
         T(name)(n, periodic=periodic, dtype=torch.float64), rtol=1e-12, atol=1e-12)


def test_window_parameters_match_pytorch():
    same(latte.hamming_window(9, False, 0.5, 0.4), torch.hamming_window(9, False, 0.5, 0.4))
    same(latte.kaiser_window(9, True, 5.0), torch.kaiser_window(9, True, 5.0))
    assert latte.hann_window(4, requires_grad=True).requires_grad


@pytest.mark.parametrize("name", WINDOWS)
def test_window_errors_match_pytorch(name):
    for bad in (dict(window_length=4, dtype="int64"), dict(window_length=-1)):
        kwargs_t = {**bad, **({"dtype": torch.int64} if "dtype" in bad else {})}
        kwargs_l = {**bad, **({"dtype": latte.int64} if "dtype" in bad else {})}
        with pytest.raises(RuntimeError) as theirs:
            T(name)(**kwargs_t)
        with pytest.raises(RuntimeError) as ours:
            L(name)(**kwargs_l)
        assert str(ours.value).split(",")[0][:30] == str(theirs.value).split(",")[0][:30]


# --- range and the memory-sharing constructors --------------------------------------------------
@pytest.mark.parametrize("args,kwargs", [((1, 4), {}), ((0, 1, 0.25), {}), ((4, 1, -1), {}),
                                         ((1, 4), {"dtype": "int64"}),
                                         ((0.5, 2.2, 0.3), {"dtype": "float64"})])
def test_range_is_inclusive_and_warns_as_pytorch(args, kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = torch.range(*args, **{k: T(v) for k, v in kwargs.items()})
    with pytest.warns(UserWarning, match="deprecated"):
        ours = latte.range(*args, **{k: L(v) for k, v in kwargs.items()})
    same(ours, theirs)


def test_range_bad_arguments_raise_as_pytorch():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(RuntimeError, match="inconsistent with step sign"):
            latte.range(4, 1)
        for lib in (latte, torch):
            with pytest.raises(TypeError, match="end"):
                lib.range(5)


def test_asarray_shares_numpy_memory_and_follows_copy():
    a = np.arange(3.0)
    t = latte.asarray(a)
    a[0] = 9.0
    assert t.tolist() == [9.0, 1.0, 2.0] and t.dtype == latte.float64
    c = latte.asarray(a, copy=True)
    a[1] = 7.0
    assert c.tolist() == [9.0, 1.0, 2.0]
    assert latte.asarray(a, dtype=latte.float32).dtype == latte.float32
    with pytest.raises(ValueError, match="can't alias tensor with dtype 'Double' into dtype "
                                         "'Float'"):
        latte.asarray(a, dtype=latte.float32, copy=False)
    with pytest.raises(ValueError, match="can't alias arbitrary sequence"):
        latte.asarray([1, 2], copy=False)


def test_asarray_of_tensors_and_sequences_as_pytorch():
    x = latte.tensor([1.0, 2.0])
    assert latte.asarray(x) is x
    assert latte.asarray(x, copy=True) is not x
    assert latte.asarray(x, dtype=latte.float64).dtype == latte.float64
    with pytest.raises(ValueError, match="can't alias tensor with dtype 'Float' into dtype "
                                         "'Double'"):
        latte.asarray(x, dtype=latte.float64, copy=False)
    for obj in ([1, 2], [1.0, 2], 3.0, np.float64(2.0), True, [[1, 2], [3, 4]]):
        same(latte.asarray(obj), torch.asarray(obj))
    assert latte.asarray([1.0], requires_grad=True).requires_grad


def test_frombuffer_shares_memory_as_pytorch():
    raw = bytearray(np.arange(4, dtype=np.int32).tobytes())
    ours = latte.frombuffer(raw, dtype=latte.int32)
    same(ours, torch.frombuffer(bytearray(raw), dtype=torch.int32))
    raw[0] = 5
    assert ours[0].item() == 5
    same(latte.frombuffer(raw, dtype=latte.int16, count=3, offset=2),
         torch.frombuffer(bytearray(raw), dtype=torch.int16, count=3, offset=2))
    same(latte.frombuffer(array.array("d", [1.5, 2.5]), dtype=latte.float64),
         torch.frombuffer(array.array("d", [1.5, 2.5]), dtype=torch.float64))
    for kwargs in (dict(offset=16), dict(count=5), dict(offset=1)):
        with pytest.raises(ValueError):
            torch.frombuffer(bytearray(raw), dtype=torch.int32, **kwargs)
        with pytest.raises(ValueError):
            latte.frombuffer(raw, dtype=latte.int32, **kwargs)
    with pytest.raises(ValueError, match="must not be 0"):
        latte.frombuffer(bytearray(), dtype=latte.int32)


@pytest.mark.parametrize("size,stride", [((2, 3), (1, 2)), ((2, 3), (3, 1)), ((4,), (2,)),
                                         ((2, 0, 3), (3, 3, 1))])
def test_empty_strided_has_the_strides_asked(size, stride):
    ours, theirs = latte.empty_strided(size, stride), torch.empty_strided(size, stride)
    assert ours.stride() == theirs.stride() and tuple(ours.shape) == tuple(theirs.shape)
    assert ours.dtype == latte.float32
    with pytest.raises(RuntimeError, match="mismatch in length"):
        latte.empty_strided((2, 3), (1,))


@pytest.mark.parametrize("size,order", [((2, 3, 4), (0, 2, 1)), ((2, 3, 4, 5), (0, 2, 3, 1)),
                                        ((3,), (0,))])
def test_empty_permuted_has_pytorchs_strides(size, order):
    ours = latte.empty_permuted(size, order, dtype=latte.int32)
    theirs = torch.empty_permuted(size, order, dtype=torch.int32)
    assert ours.stride() == theirs.stride() and tuple(ours.shape) == tuple(theirs.shape)
    assert ours.dtype == latte.int32


@pytest.mark.parametrize("name", ["frombuffer", "asarray", "empty_strided", "empty_permuted",
                                  "hann_window", "blackman_window", "bartlett_window",
                                  "kaiser_window", "range"])
def test_constructor_parameters_are_pytorchs(name):
    documented = T(name).__doc__.strip().split("\n")[0]
    head = documented[documented.index("(") + 1:documented.index(")")]
    expected = [p.strip().split("=")[0].split(":")[0] for p in head.split(",")]
    expected = [p for p in expected if p not in ("*", "out", "pin_memory")]
    ours = [p for p in inspect.signature(L(name)).parameters if p not in ("out", "pin_memory")]
    assert ours == expected


def test_compile_autocast_and_grad_scaler_are_top_level_as_in_pytorch():
    """``import latte as torch`` scripts call these outside ``latte run`` too: accepted, inert."""
    model = latte.nn.Linear(3, 2)
    assert latte.compile(model) is model and latte.compile()(len) is len
    x = latte.randn(4, 3)
    with latte.autocast("cpu", dtype=latte.float16):
        out = model(x)
    assert out.dtype == latte.float32
    scaler = latte.GradScaler()
    loss = out.sum()
    assert scaler.scale(loss) is loss or latte.equal(scaler.scale(loss), loss)
    assert {"compile", "autocast", "GradScaler"} <= set(dir(latte))


def test_rms_norm_and_get_device_match_pytorch():
    x = np.random.default_rng(2).standard_normal((2, 5)).astype(np.float32)
    w = np.linspace(0.5, 1.5, 5).astype(np.float32)
    np.testing.assert_allclose(
        latte.rms_norm(latte.tensor(x), (5,), latte.tensor(w), 1e-6).numpy(),
        torch.rms_norm(torch.tensor(x), (5,), torch.tensor(w), 1e-6).numpy(), rtol=1e-6)
    assert latte.get_device(latte.tensor(x)) == torch.get_device(torch.tensor(x)) == -1
