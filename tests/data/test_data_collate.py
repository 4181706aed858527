"""default_collate and default_convert, against PyTorch's rules."""
import collections

import numpy as np
import pytest

import latte
from latte.utils.data import default_collate, default_convert

Point = collections.namedtuple("Point", ["x", "y"])


def test_tensors_are_stacked():
    out = default_collate([latte.zeros(2, 3), latte.ones(2, 3)])
    assert out.shape == (2, 2, 3) and out.dtype == latte.float32
    assert out.numpy()[1].sum() == 6


def test_tensor_shape_mismatch_names_both_shapes():
    with pytest.raises(RuntimeError, match=r"equal size.*\[3\] at entry 0 and \[4\] at entry 1"):
        default_collate([latte.zeros(3), latte.zeros(4)])


def test_stack_keeps_graph():
    a = latte.tensor([1.0, 2.0], requires_grad=True)
    out = default_collate([a, a * 3])
    out.sum().backward()
    assert a.grad.tolist() == [4.0, 4.0]


def test_numpy_arrays_and_scalars():
    out = default_collate([np.arange(3, dtype=np.int32), np.arange(3, dtype=np.int32)])
    assert isinstance(out, latte.Tensor) and out.dtype == latte.int32 and out.shape == (2, 3)
    out = default_collate([np.float32(1.5), np.float32(2)])
    assert out.dtype == latte.float32 and out.tolist() == [1.5, 2.0]
    with pytest.raises(TypeError, match="default_collate: batch must contain.*<U1"):
        default_collate([np.array(["a"]), np.array(["b"])])


def test_python_numbers():
    f = default_collate([1.0, 2.5])
    assert f.dtype == latte.float64 and f.tolist() == [1.0, 2.5]
    i = default_collate([1, 2])
    assert i.dtype == latte.int64 and i.tolist() == [1, 2]
    b = default_collate([True, False])
    assert b.dtype == latte.bool and b.tolist() == [True, False]


def test_strings_pass_through():
    assert default_collate(["a", "b"]) == ["a", "b"]
    assert default_collate([b"x", b"y"]) == [b"x", b"y"]


def test_tuples_are_transposed_into_lists():
    out = default_collate([(latte.zeros(2), 0), (latte.ones(2), 1)])
    assert isinstance(out, list) and len(out) == 2
    assert out[0].shape == (2, 2) and out[1].tolist() == [0, 1]


def test_lists_dicts_namedtuples_nested():
    batch = [{"img": np.zeros((2, 2), np.float32), "meta": {"id": 1, "name": "a"},
              "pt": Point(1.0, [1, 2])},
             {"img": np.ones((2, 2), np.float32), "meta": {"id": 2, "name": "b"},
              "pt": Point(2.0, [3, 4])}]
    out = default_collate(batch)
    assert out["img"].shape == (2, 2, 2)
    assert out["meta"]["id"].tolist() == [1, 2] and out["meta"]["name"] == ["a", "b"]
    assert isinstance(out["pt"], Point) and out["pt"].x.dtype == latte.float64
    assert [t.tolist() for t in out["pt"].y] == [[1, 3], [2, 4]]


def test_list_samples_need_equal_length():
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal"):
        default_collate([[1, 2], [3]])


def test_unknown_type_error():
    with pytest.raises(TypeError, match="default_collate: batch must contain.*object"):
        default_collate([object(), object()])


def test_mapping_subclass_type_kept():
    out = default_collate([collections.OrderedDict(a=1), collections.OrderedDict(a=2)])
    assert isinstance(out, collections.OrderedDict) and out["a"].tolist() == [1, 2]


def test_matches_pytorch_on_nested_structure():
    torch = pytest.importorskip("torch")
    samples = [(np.full((2,), i, np.float32), i, float(i) / 2, {"k": [i, i + 1]}, "s")
               for i in range(3)]
    ours = default_collate(samples)
    theirs = torch.utils.data.default_collate(samples)

    def compare(a, b):
        if isinstance(b, torch.Tensor):
            assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1]
            np.testing.assert_array_equal(a.numpy(), b.numpy())
        elif isinstance(b, dict):
            assert type(a) is type(b) and a.keys() == b.keys()
            for k in b:
                compare(a[k], b[k])
        elif isinstance(b, (list, tuple)):
            assert type(a) is type(b) and len(a) == len(b)
            for x, y in zip(a, b):
                compare(x, y)
        else:
            assert a == b

    compare(ours, theirs)


def test_default_convert():
    arr = np.arange(3)
    out = default_convert({"a": arr, "b": (np.float32(1.0), "txt"), "c": Point(arr, 2)})
    assert isinstance(out["a"], latte.Tensor) and out["a"].tolist() == [0, 1, 2]
    assert isinstance(out["b"], list) and out["b"][0].dtype == latte.float32
    assert out["b"][1] == "txt"
    assert isinstance(out["c"], Point) and out["c"].y == 2
    t = latte.zeros(2)
    assert default_convert(t) is t
    strings = np.array(["a"])
    assert default_convert(strings) is strings
    assert default_convert([arr])[0].tolist() == [0, 1, 2]
