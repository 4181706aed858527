"""grad_fn as PyTorch names it: class name, name(), repr, next_functions, metadata."""
from __future__ import annotations

import re

import numpy as np
import pytest
from op_db import as_list, call, cases, leaves

import latte
from latte import nn

torch = pytest.importorskip("torch")

# Ops whose last node Latte names differently, with the reason; every other op in the
# registry must show PyTorch's name for every sample.
EXCEPTIONS = {
    **{name: "composed from the 2-D kernels over depth (PyTorch: one 3-D node)"
       for name in ("conv3d", "conv_transpose3d", "max_pool3d", "avg_pool3d",
                    "adaptive_avg_pool3d", "adaptive_max_pool3d")},
    "clamp_min_max": "clamp(min) composed of ops PyTorch fuses as ClampMin",
    "clamp_tensor": "tensor bounds are a where of the bounds (PyTorch: one Clamp node)",
    "clamp_tensor_ties": "as clamp_tensor",
    "combinations": "built by indexing (PyTorch stacks)",
    "diag": "PyTorch names its 2-D diag DiagonalBackward0_copy",
    "einsum": "one Einsum node; PyTorch's einsum ends in whichever view its plan took",
    "getitem": "a boolean-mask sample takes Latte's basic path",
    "kron": "the final reshape is a view in Latte, a copy in PyTorch",
    "linalg_cond": "composed differently (PyTorch squeezes last)",
    "linalg_matrix_norm": "a sum over both dims shows as SumBackward0",
    "linalg_matrix_power": "powers by repeated products; PyTorch copies",
    "linalg_norm": "composed differently",
    "linalg_slogdet": "Latte's sign output has no graph",
    "linalg_solve": "a vector right-hand side is solved as a matrix and squeezed",
    "linalg_vander": "stacked columns (PyTorch concatenates)",
    "linalg_multi_dot": "products of the reshaped ends (PyTorch views them back)",
    "tensordot": "one matrix product of the reshaped operands (PyTorch views it back)",
    "logdet_det_inverse": "logdet composed from slogdet (PyTorch: a where over signs)",
    "cholesky_solve_inverse": "solved by two triangular solves (PyTorch: one node)",
    "pad": "negative padding crops by slicing",
    "rdiv_scalar": "number / tensor is one Div node (PyTorch: reciprocal times)",
    "repeat_interleave": "the final reshape copies in Latte",
    "squeeze": "nothing to squeeze returns the tensor itself",
    "sum": "a sum over every dim given by name shows as the full sum",
    "t": "t() of a 1-D tensor returns the tensor itself",
    "tensor_split": "built on split (PyTorch slices)",
    "top_layer_norm": "F.layer_norm's fused node is NormalizeBackward0 (PyTorch: NativeLayerNorm)",
    "top_batch_norm": "F.batch_norm's fused node is NormalizeBackward0 (PyTorch: NativeBatchNorm)",
    "top_constant_pad_nd": "as pad: negative padding crops by slicing",
    "quantile": "sort, gather and lerp, then squeeze(-1) (PyTorch: another squeeze overload)",
    "nanquantile": "as quantile",
    "linalg_tensorinv": "inv of the matrix view, reshaped (PyTorch's reshape shows as a view)",
    "linalg_tensorsolve": "solve of the matrix view, reshaped (PyTorch's reshape is a view)",
}


def _names(lib, op, sample):
    outs = as_list(call(op, lib, sample, leaves(lib, sample, lib.float64)))
    return [o.grad_fn.name() if getattr(o, "grad_fn", None) is not None else None
            for o in outs[:1]]


@pytest.mark.parametrize("op,sample", cases(lambda op: op.name not in EXCEPTIONS, torch=True))
def test_node_names_match_pytorch(op, sample):
    try:
        expected = _names(torch, op, sample)
    except Exception as e:  # a sample PyTorch rejects at this dtype: nothing to compare
        pytest.skip(f"PyTorch: {type(e).__name__}")
    assert _names(latte, op, sample) == expected


def test_exceptions_are_registry_ops():
    from op_db import OPS
    assert set(EXCEPTIONS) <= {op.name for op in OPS}


@pytest.mark.parametrize("make", [
    lambda L, x: L.nn.functional.linear(x, L.ones(3, 4), L.ones(3)),
    lambda L, x: L.nn.functional.linear(x, L.ones(3, 4)),
    lambda L, x: L.nn.functional.linear(x.reshape(1, 2, 4), L.ones(3, 4), L.ones(3)),
    lambda L, x: L.nn.functional.cross_entropy(x, L.tensor([0, 3])),
    lambda L, x: L.nn.functional.nll_loss(x.log_softmax(1), L.tensor([0, 3])),
    lambda L, x: L.nn.functional.mse_loss(x, L.zeros(2, 4)),
    lambda L, x: L.nn.functional.binary_cross_entropy_with_logits(x, L.ones(2, 4) / 2),
    lambda L, x: L.nn.functional.binary_cross_entropy(x.sigmoid(), L.ones(2, 4) / 2),
    lambda L, x: L.nn.functional.smooth_l1_loss(x, L.zeros(2, 4)),
    lambda L, x: L.nn.functional.gelu(x), lambda L, x: L.nn.functional.silu(x),
    lambda L, x: L.nn.functional.leaky_relu(x), lambda L, x: L.nn.functional.elu(x),
    lambda L, x: L.nn.functional.softplus(x), lambda L, x: L.nn.functional.hardtanh(x),
    lambda L, x: x.mean(), lambda L, x: x.mean(1), lambda L, x: x.max(),
    lambda L, x: x.view(8), lambda L, x: x.t().reshape(8), lambda L, x: x[0],
    lambda L, x: x[:, 1:], lambda L, x: x[[0, 1]], lambda L, x: x.unsqueeze(0),
    lambda L, x: x.to(L.float64), lambda L, x: x.clone(), lambda L, x: L.stack([x, x]),
    lambda L, x: x @ x.t(), lambda L, x: x.split(1)[0],
], ids=lambda make: "")
def test_everyday_names(make):
    names = []
    for L in (torch, latte):
        x = L.tensor(np.arange(8.0, dtype=np.float32).reshape(2, 4) / 8, requires_grad=True)
        names.append(make(L, x).grad_fn.name())
    assert names[1] == names[0]


def test_class_name_repr_and_tensor_repr_agree():
    x = latte.ones(2, requires_grad=True)
    y = x + 1
    fn = y.grad_fn
    assert type(fn).__name__ == fn.name() == "AddBackward0"
    assert re.fullmatch(r"<AddBackward0 object at 0x[0-9a-f]+>", repr(fn))
    assert "grad_fn=<AddBackward0>" in repr(y)
    assert isinstance(fn, latte.ops.elementwise.Add)  # still the op, for code that asks


def test_next_functions_show_accumulate_grad_for_leaves():
    x = latte.ones(2, requires_grad=True)
    y = (x * 2).sum()
    (mul, _), = y.grad_fn.next_functions
    assert mul.name() == "MulBackward0"
    (acc, nr), = mul.next_functions
    assert type(acc).__name__ == "AccumulateGrad" and nr == 0 and acc.variable is x
    assert acc is mul.next_functions[0][0]  # one node per leaf, as PyTorch
    assert acc.next_functions == ()


def test_custom_function_node_and_metadata():
    class Square(latte.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * a

        @staticmethod
        def backward(ctx, grad):
            (a,) = ctx.saved_tensors
            return 2 * a * grad

    y = Square.apply(latte.ones(2, requires_grad=True))
    assert type(y.grad_fn).__name__ == y.grad_fn.name() == "SquareBackward"
    y.grad_fn.metadata["note"] = 1
    assert y.grad_fn.metadata == {"note": 1}


def test_modules_show_pytorchs_names():
    for L in (torch, latte):
        L.manual_seed(0)
    lin = nn.Linear(4, 3)
    out = lin(latte.ones(2, 4))
    assert out.grad_fn.name() == "AddmmBackward0"
    assert nn.Linear(4, 3, bias=False)(latte.ones(2, 4)).grad_fn.name() == "MmBackward0"
