"""nn.utils and nn.init names PyTorch programs call: batch-norm fusion, the split gradient
clipping (get_total_norm, clip_grads_with_norm_), skip_init, memory-format converters and the
deprecated init names."""
import numpy as np
import pytest

import latte
import latte.nn as nn

torch = pytest.importorskip("torch")


def _same_module(ours, theirs):
    ours.load_state_dict({k: latte.tensor(v.detach().numpy()) for k, v in
                          theirs.state_dict().items()})
    return ours


def _random_bn(theirs):
    with torch.no_grad():
        theirs.running_mean.normal_()
        theirs.running_var.uniform_(0.5, 2.0)
        if theirs.weight is not None:
            theirs.weight.normal_()
            theirs.bias.normal_()
    return theirs.eval()


@pytest.mark.parametrize("conv,transpose,affine,bias", [
    ("Conv2d", False, True, True), ("Conv2d", False, False, False),
    ("ConvTranspose2d", True, True, True), ("Conv1d", False, True, False)])
def test_fuse_conv_bn_eval_matches_pytorch(conv, transpose, affine, bias):
    dims = 1 if conv.endswith("1d") else 2
    tconv = getattr(torch.nn, conv)(3, 4, 3, bias=bias).eval()
    tbn = _random_bn(getattr(torch.nn, f"BatchNorm{dims}d")(4, affine=affine))
    lconv = _same_module(getattr(nn, conv)(3, 4, 3, bias=bias), tconv).eval()
    lbn = _same_module(getattr(nn, f"BatchNorm{dims}d")(4, affine=affine), tbn).eval()
    ours = nn.utils.fuse_conv_bn_eval(lconv, lbn, transpose)
    theirs = torch.nn.utils.fuse_conv_bn_eval(tconv, tbn, transpose)
    for k in ("weight", "bias"):
        np.testing.assert_allclose(getattr(ours, k).detach().numpy(),
                                   getattr(theirs, k).detach().numpy(), rtol=1e-5, atol=1e-6)
        assert isinstance(getattr(ours, k), nn.Parameter)
    x = np.random.default_rng(0).standard_normal((2, 3) + (6,) * dims).astype(np.float32)
    np.testing.assert_allclose(ours(latte.tensor(x)).detach().numpy(),
                               lbn(lconv(latte.tensor(x))).detach().numpy(), atol=1e-5)
    assert lconv.bias is None if not bias else lconv.bias is not ours.bias  # a copy


def test_fuse_linear_bn_eval_matches_pytorch():
    tl, tbn = torch.nn.Linear(5, 4).eval(), _random_bn(torch.nn.BatchNorm1d(4))
    ll, lbn = _same_module(nn.Linear(5, 4), tl).eval(), _same_module(nn.BatchNorm1d(4), tbn).eval()
    ours = nn.utils.fuse_linear_bn_eval(ll, lbn)
    theirs = torch.nn.utils.fuse_linear_bn_eval(tl, tbn)
    np.testing.assert_allclose(ours.weight.detach().numpy(), theirs.weight.detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.bias.detach().numpy(), theirs.bias.detach().numpy(),
                               rtol=1e-5, atol=1e-6)


def test_fusion_refuses_training_mode():
    with pytest.raises(AssertionError, match="Fusion only for eval!"):
        nn.utils.fuse_conv_bn_eval(nn.Conv2d(1, 2, 1), nn.BatchNorm2d(2).eval())
    with pytest.raises(AssertionError, match="linear.out_features must equal bn.num_features"):
        nn.utils.fuse_linear_bn_eval(nn.Linear(2, 3).eval(), nn.BatchNorm1d(2).eval())


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.5, float("inf")])
def test_get_total_norm_and_clip_grads_with_norm_match_pytorch(norm_type):
    rng = np.random.default_rng(1)
    grads = [rng.standard_normal(s).astype(np.float32) for s in [(3, 4), (5,), ()]]
    ours = nn.utils.get_total_norm([latte.tensor(g) for g in grads], norm_type)
    theirs = torch.nn.utils.get_total_norm([torch.tensor(g) for g in grads], norm_type)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5)
    params = []
    for lib, out in ((latte, []), (torch, [])):
        for g in grads:
            p = lib.zeros(g.shape, requires_grad=True)
            p.grad = lib.tensor(g)
            out.append(p)
        params.append(out)
    nn.utils.clip_grads_with_norm_(params[0], 0.5, ours)
    torch.nn.utils.clip_grads_with_norm_(params[1], 0.5, theirs)
    for a, b in zip(*params):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_skip_init_builds_the_layer_and_needs_a_device_argument():
    fc = nn.utils.skip_init(nn.Linear, 5, 2, bias=False)
    assert type(fc) is nn.Linear and fc.weight.shape == (2, 5) and fc.bias is None
    with pytest.raises(RuntimeError, match="Module must support a 'device' arg"):
        nn.utils.skip_init(nn.ReLU)


def test_memory_format_converters_return_the_module():
    model = nn.Sequential(nn.Conv2d(1, 2, 3))
    assert nn.utils.convert_conv2d_weight_memory_format(model, latte.channels_last) is model
    assert nn.utils.convert_conv3d_weight_memory_format(model, latte.channels_last_3d) is model
    with pytest.raises(TypeError, match="memory_format"):
        nn.utils.convert_conv2d_weight_memory_format(model, "channels_last")


@pytest.mark.parametrize("name,args", [
    ("uniform", ()), ("normal", ()), ("constant", (0.3,)), ("eye", ()), ("xavier_uniform", ()),
    ("xavier_normal", ()), ("kaiming_uniform", ()), ("kaiming_normal", ()), ("orthogonal", ()),
    ("sparse", (0.5,))])
def test_deprecated_init_names_warn_and_fill_as_the_new_ones(name, args):
    latte.manual_seed(3)
    expected = getattr(nn.init, name + "_")(latte.empty(4, 6), *args)
    latte.manual_seed(3)
    with pytest.warns(FutureWarning, match=f"`nn.init.{name}` is now deprecated in favor of "
                                           f"`nn.init.{name}_`"):
        got = getattr(nn.init, name)(latte.empty(4, 6), *args)
    np.testing.assert_array_equal(got.numpy(), expected.numpy())
    assert name in dir(torch.nn.init)


def test_invert_permutation_matches_pytorch():
    perm = [3, 0, 4, 1, 2]
    assert nn.utils.rnn.invert_permutation(latte.tensor(perm)).tolist() == \
        torch.nn.utils.rnn.invert_permutation(torch.tensor(perm)).tolist()
    assert nn.utils.rnn.invert_permutation(None) is None
