"""Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict, Flatten, Unflatten."""
from __future__ import annotations

from collections import OrderedDict

import pytest

import latte
import latte.nn as nn


def test_sequential_indexing_slicing_and_editing():
    a, b, c = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)
    seq = nn.Sequential(a, b, c)
    assert seq[0] is a and seq[-1] is c and len(seq) == 3
    assert list(seq) == [a, b, c]
    tail = seq[1:]
    assert isinstance(tail, nn.Sequential) and list(tail._modules) == ["1", "2"]
    assert seq(latte.ones(4, 2)).shape == (4, 1)
    with pytest.raises(IndexError, match="out of range"):
        seq[3]
    seq[1] = nn.Tanh()
    assert isinstance(seq[1], nn.Tanh)
    del seq[0]
    assert list(seq._modules) == ["0", "1"] and seq[0].__class__ is nn.Tanh
    seq.append(nn.Sigmoid())
    seq.insert(0, nn.Linear(2, 3))
    assert [type(m).__name__ for m in seq] == ["Linear", "Tanh", "Linear", "Sigmoid"]
    both = nn.Sequential(nn.ReLU()) + nn.Sequential(nn.Tanh())
    assert [type(m).__name__ for m in both] == ["ReLU", "Tanh"]
    assert isinstance(seq.pop(-1), nn.Sigmoid) and len(seq) == 3


def test_sequential_from_ordered_dict_keys():
    seq = nn.Sequential(OrderedDict(conv=nn.Linear(2, 2), act=nn.ReLU()))
    assert seq.conv is seq[0] and list(seq.state_dict()) == ["conv.weight", "conv.bias"]
    assert list(seq[:1]._modules) == ["conv"]


def test_module_list():
    ml = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(ml) == 3 and len(list(ml.parameters())) == 6
    assert isinstance(ml[1:], nn.ModuleList) and len(ml[1:]) == 2
    ml.append(nn.ReLU())
    ml.extend([nn.Tanh()])
    ml += [nn.Sigmoid()]
    ml.insert(0, nn.Identity())
    assert [type(m).__name__ for m in ml][:2] == ["Identity", "Linear"]
    del ml[0]
    assert list(ml._modules) == [str(i) for i in range(len(ml))]
    assert ml[-1].__class__ is nn.Sigmoid
    with pytest.raises(TypeError):
        ml.extend(nn.Linear(1, 1))
    with pytest.raises(NotImplementedError):
        ml(latte.ones(1))


def test_module_dict():
    md = nn.ModuleDict({"a": nn.Linear(2, 2)})
    md["b"] = nn.ReLU()
    md.update([("c", nn.Tanh())])
    assert list(md) == ["a", "b", "c"] and "b" in md and len(md) == 3
    assert list(md.keys()) == ["a", "b", "c"]
    assert isinstance(md.pop("b"), nn.ReLU) and "b" not in md
    assert list(md.state_dict()) == ["a.weight", "a.bias"]
    md.clear()
    assert len(md) == 0


def test_parameter_list_and_dict_register_parameters():
    pl = nn.ParameterList([latte.zeros(2), nn.Parameter(latte.ones(3))])
    assert all(isinstance(p, nn.Parameter) for p in pl)
    assert [n for n, _ in pl.named_parameters()] == ["0", "1"]
    pl.append(latte.ones(1))
    assert len(pl) == 3 and pl[-1].shape == (1,)
    pd = nn.ParameterDict({"w": latte.ones(2)})
    pd["b"] = nn.Parameter(latte.zeros(1))
    assert list(pd) == ["w", "b"] and isinstance(pd["w"], nn.Parameter)
    assert [n for n, _ in pd.named_parameters()] == ["w", "b"]
    del pd["w"]
    assert list(pd.keys()) == ["b"]


def test_flatten_unflatten_identity():
    x = latte.zeros(2, 3, 4, 5)
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 2)(x).shape == (24, 5)
    assert nn.Unflatten(1, (4, 15))(nn.Flatten()(x)).shape == (2, 4, 15)
    assert nn.Identity(3, foo=1)(x) is x
    with pytest.raises(TypeError):
        nn.Unflatten(1, 4)
