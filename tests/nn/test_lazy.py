"""Lazy layers infer their input size at the first forward, as PyTorch's do."""
import copy

import numpy as np
import pytest

import latte
import latte.nn as nn
from latte import optim

torch = pytest.importorskip("torch")

LAYERS = [
    ("LazyLinear", (5,), {}, (4, 7)),
    ("LazyLinear", (3,), {"bias": False}, (2, 3, 6)),
    ("LazyConv1d", (4, 3), {"padding": 1}, (2, 3, 9)),
    ("LazyConv2d", (6, 3), {"stride": 2, "groups": 2, "bias": False}, (2, 4, 9, 9)),
    ("LazyConv2d", (4, 3), {"padding": "same"}, (3, 7, 7)),                  # unbatched
    ("LazyConv3d", (4, 2), {}, (1, 2, 4, 5, 5)),
    ("LazyConvTranspose1d", (4, 3), {"stride": 2}, (2, 3, 5)),
    ("LazyConvTranspose2d", (4, 2), {"stride": 2, "output_padding": 1}, (2, 3, 4, 4)),
    ("LazyConvTranspose3d", (2, 2), {"stride": 2}, (1, 3, 2, 3, 3)),
    ("LazyBatchNorm1d", (), {}, (6, 4)),
    ("LazyBatchNorm2d", (), {"momentum": 0.3}, (4, 3, 5, 5)),
    ("LazyBatchNorm3d", (), {"affine": False}, (2, 3, 2, 3, 3)),
    ("LazyInstanceNorm1d", (), {"affine": False, "track_running_stats": False}, (2, 3, 6)),
    ("LazyInstanceNorm2d", (), {"bias": False}, (2, 3, 5, 5)),
    ("LazyInstanceNorm3d", (), {}, (2, 3, 2, 3, 3)),
]


def _shapes(module):
    return {k: tuple(v.shape) for k, v in module.state_dict().items()}


@pytest.mark.parametrize("name,args,kwargs,shape", LAYERS)
def test_lazy_layer_becomes_the_eager_one_as_in_pytorch(name, args, kwargs, shape):
    ours, theirs = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    assert ours.has_uninitialized_params() == theirs.has_uninitialized_params()
    assert all(isinstance(p, nn.UninitializedParameter) for p in ours.parameters())
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    ours(latte.tensor(x))
    theirs(torch.tensor(x))
    assert type(ours).__name__ == type(theirs).__name__ == name[4:]
    assert isinstance(ours, getattr(nn, name[4:]))
    assert repr(ours) == repr(theirs)
    assert _shapes(ours) == _shapes(theirs)
    assert all(type(p) is nn.Parameter for p in ours.parameters())
    # the same parameters give the same output (train mode: batch statistics)
    ours.load_state_dict({k: latte.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    np.testing.assert_allclose(ours(latte.tensor(x)).detach().numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-5)


def test_default_initialisation_is_the_eager_layers():
    latte.manual_seed(0)
    conv = nn.LazyConv2d(8, 3)
    conv(latte.randn(1, 4, 5, 5))
    bound = 1 / np.sqrt(4 * 9)
    assert 0.8 * bound < np.abs(conv.weight.detach().numpy()).max() <= bound
    assert np.abs(conv.bias.detach().numpy()).max() <= bound
    bn = nn.LazyBatchNorm2d()
    bn.eval()
    bn(latte.randn(2, 3, 4, 4))
    np.testing.assert_array_equal(bn.weight.detach().numpy(), np.ones(3))
    np.testing.assert_array_equal(bn.running_var.numpy(), np.ones(3))
    assert bn.num_batches_tracked.item() == 0


def test_an_optimizer_built_before_the_first_forward_trains_the_materialized_weights():
    model = nn.Sequential(nn.LazyLinear(8), nn.ReLU(), nn.LazyLinear(1))
    opt = optim.SGD(model.parameters(), lr=0.1)
    x, y = latte.randn(16, 5), latte.randn(16, 1)
    losses = []
    for _ in range(5):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert model[0].weight.shape == (8, 5)
    assert opt.param_groups[0]["params"][0] is model[0].weight
    assert losses[-1] < losses[0]


def test_load_state_dict_before_the_first_forward_takes_the_checkpoint_shapes():
    trained = nn.Linear(6, 3)
    lazy = nn.LazyLinear(3)
    lazy.load_state_dict(trained.state_dict())
    assert type(lazy) is nn.LazyLinear and not lazy.has_uninitialized_params()
    x = latte.randn(2, 6)
    np.testing.assert_array_equal(lazy(x).detach().numpy(), trained(x).detach().numpy())
    assert type(lazy) is nn.Linear


def test_dtype_and_copies_before_the_first_forward():
    lazy = nn.LazyLinear(2).double()
    copied = copy.deepcopy(lazy)
    assert isinstance(copied.weight, nn.UninitializedParameter) and copied.weight is not lazy.weight
    out = copied(latte.randn(3, 4, dtype=latte.float64))
    assert out.dtype == latte.float64 and copied.weight.dtype == latte.float64
    assert isinstance(lazy.weight, nn.UninitializedParameter)


def test_materialize_makes_a_parameter_in_place():
    p = nn.UninitializedParameter(dtype=latte.float64)
    assert isinstance(p, nn.Parameter) and p.requires_grad and repr(p) == "<UninitializedParameter>"
    ident = id(p)
    p.materialize((2, 3))
    assert type(p) is nn.Parameter and id(p) == ident and p.shape == (2, 3)
    assert p.dtype == latte.float64
    b = nn.UninitializedBuffer()
    b.materialize(4)
    assert type(b) is latte.Tensor and b.shape == (4,) and not b.requires_grad


def test_groups_must_divide_the_inferred_channels():
    conv = nn.LazyConv2d(4, 3, groups=2)
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        conv(latte.randn(1, 3, 5, 5))


def test_a_conv_and_a_norm_loaded_before_the_first_forward_know_their_channels():
    conv, norm = nn.LazyConv2d(3, 2), nn.LazyBatchNorm2d()
    conv.load_state_dict(nn.Conv2d(4, 3, 2).state_dict())
    norm.load_state_dict(nn.BatchNorm2d(3).state_dict())
    out = norm(conv(latte.randn(2, 4, 5, 5)))
    assert out.shape == (2, 3, 4, 4) and conv.in_channels == 4 and norm.num_features == 3
