"""Public functions show their real parameters to ``inspect.signature`` (and so ``help()``),
with PyTorch's names."""
from __future__ import annotations

import inspect
import sys
from pathlib import Path

import pytest

import latte

sys.path.insert(0, str(Path(__file__).parent))
from test_docstrings import public_api  # noqa: E402

# parameter names from PyTorch's documentation, in order (``out`` aside)
TORCH_NAMES = {
    "sum": ["input", "dim", "keepdim", "dtype"], "mean": ["input", "dim", "keepdim", "dtype"],
    "exp": ["input"], "clamp": ["input", "min", "max"], "transpose": ["input", "dim0", "dim1"],
    "cat": ["tensors", "dim"], "addcmul": ["input", "tensor1", "tensor2", "value"],
    "mm": ["input", "mat2"], "bmm": ["input", "mat2"], "outer": ["input", "vec2"],
    "reshape": ["input", "shape"], "permute": ["input", "dims"], "flip": ["input", "dims"],
    "tensor_split": ["input", "indices_or_sections", "dim"], "topk": ["input", "k", "dim",
                                                                      "largest", "sorted"],
    "gather": ["input", "dim", "index"], "where": ["condition", "input", "other"],
    "zeros_like": ["input", "dtype"], "is_floating_point": ["input"], "lerp": ["input", "end",
                                                                                "weight"],
    "argmax": ["input", "dim", "keepdim"], "addmm": ["input", "mat1", "mat2", "beta", "alpha"],
    "atan2": ["input", "other"], "remainder": ["input", "other"], "heaviside": ["input", "values"],
    "float_power": ["input", "exponent"], "bitwise_left_shift": ["input", "other"],
    "is_same_size": ["input", "other"], "clamp_": ["input", "min", "max"],
}

TORCH_NAMES.update({
    "quantile": ["input", "q", "dim", "keepdim", "interpolation"],
    "histogram": ["input", "bins", "range", "weight", "density"],
    "cov": ["input", "correction", "fweights", "aweights"],
    "diff": ["input", "n", "dim", "prepend", "append"], "renorm": ["input", "p", "dim", "maxnorm"],
    "slice_scatter": ["input", "src", "dim", "start", "end", "step"],
    "trapezoid": ["y", "x", "dx", "dim"], "aminmax": ["input", "dim", "keepdim"],
    "tril_indices": ["row", "col", "offset", "dtype", "device", "layout"],
    "unique_consecutive": ["input", "return_inverse", "return_counts", "dim"],
})


def _only_varargs(signature: inspect.Signature) -> bool:
    kinds = [p.kind for p in signature.parameters.values() if p.name not in ("input", "self")]
    return bool(kinds) and set(kinds) <= {inspect.Parameter.VAR_POSITIONAL,
                                          inspect.Parameter.VAR_KEYWORD} and \
        inspect.Parameter.VAR_KEYWORD in kinds


def test_no_public_function_hides_its_parameters():
    hidden = []
    for name, obj in public_api():
        if inspect.isclass(obj):
            continue
        if _only_varargs(inspect.signature(obj)):
            hidden.append(name)
    assert not hidden


def test_the_check_sees_a_hidden_signature():
    def wrapper(input, *args, **kwargs):
        """A wrapper that hides what it forwards to."""
    assert _only_varargs(inspect.signature(wrapper))
    assert not _only_varargs(inspect.signature(latte.exp))


@pytest.mark.parametrize("name", sorted(TORCH_NAMES))
def test_parameter_names_are_pytorchs(name):
    params = [p for p in inspect.signature(getattr(latte, name)).parameters if p != "out"]
    expected = TORCH_NAMES[name]
    assert [p for p in params if p in expected] == expected, params


def test_methods_made_by_factories_show_their_parameters():
    assert list(inspect.signature(latte.Tensor.clamp_min_).parameters)[1:] == ["min"]
    assert "p" in inspect.signature(latte.Tensor.norm).parameters
    x = latte.tensor([[2.0, 0.0], [0.0, 3.0]])
    assert x.det().item() == 6.0
    assert list(inspect.signature(latte.Tensor.matrix_power).parameters) == ["self", "n", "out"]


def test_typed_user_script_runs():
    sys.path.insert(0, str(Path(__file__).parent / "typing"))
    import user_script
    loss = user_script.train(epochs=1)
    assert 0 < loss < 100
    assert user_script.autograd_example().shape == (3,)
