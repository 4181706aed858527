"""Every nn layer family on the stand-in GPU: the same values, input and parameter gradients and
buffers as on the CPU (float64), all of them on 'cuda:0' (and 'cuda:1', where the stand-in checks
that work runs under that GPU, as CuPy requires), and no array crossing to the host on the way;
modules moving between devices; a training step of the model zoo with no host copy.

With ``LATTE_TEST_DEVICE=cupy`` the same tests run on real CuPy (copy counts are then a dummy)."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

import latte
from latte import nn
from latte.nn import functional as F

CUDA0 = latte.device("cuda:0")


# --- inputs: each spec draws a NumPy array from a generator; `grad` says whether it is a leaf
class Spec:
    def __init__(self, draw: Callable, grad: bool) -> None:
        self.draw, self.grad = draw, grad


def R(*shape: int, scale: float = 1.0) -> Spec:
    """Standard normal float64 input (requires grad)."""
    return Spec(lambda rng: rng.standard_normal(shape) * scale, True)


def U(*shape: int, grad: bool = True) -> Spec:
    """Uniform (0.05, 0.95) float64 values: probabilities for BCE, rates, variances."""
    return Spec(lambda rng: rng.uniform(0.05, 0.95, shape), grad)


def I(high: int, *shape: int, low: int = 0) -> Spec:  # noqa: E743 - an (I)ndex spec
    """Integer class indices in ``[low, high)``."""
    return Spec(lambda rng: rng.integers(low, high, shape), False)


def SIGN(*shape: int) -> Spec:
    """Targets of +-1 (ranking and embedding losses)."""
    return Spec(lambda rng: rng.choice([-1.0, 1.0], shape), False)


def DIST(*shape: int, log: bool = False) -> Spec:
    """Rows of a probability distribution over dim 1 (or its log), no gradient."""
    def draw(rng):
        e = np.exp(rng.standard_normal(shape))
        p = e / e.sum(axis=1, keepdims=True)
        return np.log(p) if log else p
    return Spec(draw, False)


def T(spec: Spec) -> Spec:
    """The same values as a target (no gradient)."""
    return Spec(spec.draw, False)


def W(*values: float) -> latte.Tensor:
    return latte.tensor(values, dtype=latte.float64)


class _FloatVarGaussianNLL(nn.Module):
    """Gaussian NLL with a Python number as the variance."""

    def forward(self, input, target):
        return F.gaussian_nll_loss(input, target, 0.7, full=True)


X3, X4 = R(2, 3, 9), R(2, 3, 7, 6)
ACT = R(4, 5, 6)
CASES = [
    # linear
    ("linear", lambda: nn.Linear(5, 3), [R(4, 5)]),
    ("linear_3d_nobias", lambda: nn.Linear(5, 3, bias=False), [R(2, 4, 5)]),
    ("bilinear", lambda: nn.Bilinear(4, 3, 2), [R(5, 4), R(5, 3)]),
    ("identity", lambda: nn.Identity(), [R(3, 4)]),
    # convolutions
    ("conv1d", lambda: nn.Conv1d(3, 4, 3), [X3]),
    ("conv1d_stride_groups_circular",
     lambda: nn.Conv1d(4, 6, 3, stride=2, padding=1, groups=2, padding_mode="circular"),
     [R(2, 4, 9)]),
    ("conv1d_same_dilated_reflect",
     lambda: nn.Conv1d(3, 4, 4, padding="same", dilation=2, padding_mode="reflect"), [X3]),
    ("conv2d", lambda: nn.Conv2d(3, 4, 3), [X4]),
    ("conv2d_one_channel", lambda: nn.Conv2d(1, 4, 3, padding=1), [R(2, 1, 6, 5)]),
    ("conv2d_depthwise", lambda: nn.Conv2d(3, 6, 3, stride=2, padding=1, groups=3), [X4]),
    ("conv2d_groups_dilation",
     lambda: nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2),
     [R(2, 4, 7, 6)]),
    ("conv2d_same_replicate",
     lambda: nn.Conv2d(3, 4, 4, padding="same", padding_mode="replicate", bias=False), [X4]),
    ("conv2d_pad2_reflect", lambda: nn.Conv2d(3, 2, 3, padding=2, padding_mode="reflect"), [X4]),
    ("conv_transpose1d",
     lambda: nn.ConvTranspose1d(3, 4, 3, stride=2, padding=1, output_padding=1), [X3]),
    ("conv_transpose2d_stride1", lambda: nn.ConvTranspose2d(3, 2, 3), [X4]),
    ("conv_transpose2d_groups",
     lambda: nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1, groups=2),
     [R(2, 4, 5, 4)]),
    ("conv_transpose2d_depthwise_dilated",
     lambda: nn.ConvTranspose2d(3, 3, 3, stride=2, groups=3, dilation=2), [X4]),
    ("unfold", lambda: nn.Unfold(2, padding=1, stride=2), [X4]),
    ("fold", lambda: nn.Fold((4, 5), 2), [R(2, 12, 12)]),
    # pooling
    ("maxpool1d", lambda: nn.MaxPool1d(3, 2), [X3]),
    ("maxpool1d_indices", lambda: nn.MaxPool1d(2, return_indices=True), [X3]),
    ("maxpool2d_pad", lambda: nn.MaxPool2d(3, 2, padding=1), [X4]),
    ("maxpool2d_indices", lambda: nn.MaxPool2d(2, return_indices=True), [X4]),
    ("maxpool2d_ceil_dilated", lambda: nn.MaxPool2d(3, 2, dilation=2, ceil_mode=True),
     [R(2, 3, 9, 9)]),
    ("maxpool2d_overlap", lambda: nn.MaxPool2d(3, 1), [X4]),
    ("avgpool1d", lambda: nn.AvgPool1d(3, 2, padding=1), [X3]),
    ("avgpool2d_exclude_pad",
     lambda: nn.AvgPool2d(3, 2, padding=1, count_include_pad=False), [X4]),
    ("avgpool2d_ceil", lambda: nn.AvgPool2d(2, ceil_mode=True), [X4]),
    ("avgpool2d_divisor", lambda: nn.AvgPool2d(2, 1, divisor_override=3), [X4]),
    ("adaptive_avg1d", lambda: nn.AdaptiveAvgPool1d(4), [X3]),
    ("adaptive_avg2d", lambda: nn.AdaptiveAvgPool2d((3, 4)), [X4]),
    ("adaptive_avg2d_global", lambda: nn.AdaptiveAvgPool2d(1), [X4]),
    ("adaptive_max1d", lambda: nn.AdaptiveMaxPool1d(4), [X3]),
    ("adaptive_max2d_indices", lambda: nn.AdaptiveMaxPool2d((3, 4), return_indices=True), [X4]),
    # sampling
    ("upsample_nearest", lambda: nn.Upsample(scale_factor=2), [X4]),
    ("upsample_nearest_size", lambda: nn.Upsample(size=(9, 10)), [X4]),
    ("upsample_nearest1d", lambda: nn.Upsample(size=13), [X3]),
    ("upsample_linear", lambda: nn.Upsample(scale_factor=2, mode="linear"), [X3]),
    ("upsample_bilinear", lambda: nn.Upsample(scale_factor=1.5, mode="bilinear"), [X4]),
    ("upsample_bilinear_corners",
     lambda: nn.Upsample(size=(9, 5), mode="bilinear", align_corners=True), [X4]),
    ("upsampling_nearest2d", lambda: nn.UpsamplingNearest2d(scale_factor=3), [X4]),
    ("upsampling_bilinear2d", lambda: nn.UpsamplingBilinear2d(size=(5, 8)), [X4]),
    # normalisation (buffers compared too)
    ("batchnorm1d", lambda: nn.BatchNorm1d(4), [R(6, 4)]),
    ("batchnorm1d_3d", lambda: nn.BatchNorm1d(3), [X3]),
    ("batchnorm2d", lambda: nn.BatchNorm2d(3), [X4]),
    ("batchnorm2d_cumulative", lambda: nn.BatchNorm2d(3, momentum=None), [X4]),
    ("batchnorm2d_no_affine", lambda: nn.BatchNorm2d(3, affine=False), [X4]),
    ("batchnorm2d_no_stats", lambda: nn.BatchNorm2d(3, track_running_stats=False), [X4]),
    ("layernorm", lambda: nn.LayerNorm(6), [ACT]),
    ("layernorm_2d_plain", lambda: nn.LayerNorm((5, 6), elementwise_affine=False), [ACT]),
    ("groupnorm", lambda: nn.GroupNorm(2, 4), [R(2, 4, 5, 3)]),
    ("instancenorm1d", lambda: nn.InstanceNorm1d(3), [X3]),
    ("instancenorm2d_affine_stats",
     lambda: nn.InstanceNorm2d(3, affine=True, track_running_stats=True), [X4]),
    # embedding
    ("embedding", lambda: nn.Embedding(10, 4), [I(10, 3, 5)]),
    ("embedding_padding_idx", lambda: nn.Embedding(10, 4, padding_idx=0), [I(10, 3, 5)]),
    ("embedding_max_norm", lambda: nn.Embedding(10, 4, max_norm=1.0), [I(10, 3, 5)]),
    # activations
    ("relu", lambda: nn.ReLU(), [ACT]),
    ("relu6", lambda: nn.ReLU6(), [R(4, 5, 6, scale=5)]),
    ("leaky_relu", lambda: nn.LeakyReLU(0.1), [ACT]),
    ("prelu", lambda: nn.PReLU(), [ACT]),
    ("prelu_channels", lambda: nn.PReLU(5), [ACT]),
    ("elu", lambda: nn.ELU(0.7), [ACT]),
    ("celu", lambda: nn.CELU(1.3), [ACT]),
    ("selu", lambda: nn.SELU(), [ACT]),
    ("gelu", lambda: nn.GELU(), [R(4, 5, 6, scale=2)]),
    ("gelu_tanh", lambda: nn.GELU("tanh"), [ACT]),
    ("silu", lambda: nn.SiLU(), [ACT]),
    ("mish", lambda: nn.Mish(), [ACT]),
    ("sigmoid", lambda: nn.Sigmoid(), [ACT]),
    ("tanh", lambda: nn.Tanh(), [ACT]),
    ("logsigmoid", lambda: nn.LogSigmoid(), [ACT]),
    ("softplus", lambda: nn.Softplus(2.0, threshold=3.0), [ACT]),
    ("softsign", lambda: nn.Softsign(), [ACT]),
    ("softshrink", lambda: nn.Softshrink(0.3), [ACT]),
    ("hardshrink", lambda: nn.Hardshrink(0.3), [ACT]),
    ("tanhshrink", lambda: nn.Tanhshrink(), [ACT]),
    ("hardtanh", lambda: nn.Hardtanh(-0.5, 0.7), [ACT]),
    ("hardsigmoid", lambda: nn.Hardsigmoid(), [R(4, 5, 6, scale=4)]),
    ("hardswish", lambda: nn.Hardswish(), [R(4, 5, 6, scale=4)]),
    ("threshold", lambda: nn.Threshold(0.1, 20.0), [ACT]),
    ("glu", lambda: nn.GLU(), [ACT]),
    ("softmax", lambda: nn.Softmax(dim=1), [ACT]),
    ("log_softmax", lambda: nn.LogSoftmax(dim=-1), [ACT]),
    ("softmin", lambda: nn.Softmin(dim=0), [ACT]),
    # losses
    ("ce", lambda: nn.CrossEntropyLoss(), [R(6, 5), I(5, 6)]),
    ("ce_weight_ignore_sum",
     lambda: nn.CrossEntropyLoss(weight=W(1, 2, 0.5, 1, 3), ignore_index=2, reduction="sum"),
     [R(8, 5), I(5, 8)]),
    ("ce_smoothing_weight",
     lambda: nn.CrossEntropyLoss(weight=W(1, 2, 0.5, 1, 3), label_smoothing=0.2),
     [R(6, 5), I(5, 6)]),
    ("ce_smoothing_none", lambda: nn.CrossEntropyLoss(label_smoothing=0.1, reduction="none"),
     [R(6, 5), I(5, 6)]),
    ("ce_spatial_ignore", lambda: nn.CrossEntropyLoss(ignore_index=1),
     [R(2, 4, 3, 3), I(4, 2, 3, 3)]),
    ("ce_probabilities", lambda: nn.CrossEntropyLoss(label_smoothing=0.1),
     [R(6, 5), DIST(6, 5)]),
    ("ce_probabilities_weight", lambda: nn.CrossEntropyLoss(weight=W(1, 2, 0.5, 1, 3)),
     [R(6, 5), DIST(6, 5)]),
    ("nll", lambda: nn.NLLLoss(), [R(6, 5), I(5, 6)]),
    ("nll_weight_ignore",
     lambda: nn.NLLLoss(weight=W(1, 2, 0.5, 1, 3), ignore_index=0), [R(8, 5), I(5, 8)]),
    ("nll_spatial_none", lambda: nn.NLLLoss(reduction="none"), [R(2, 4, 3), I(4, 2, 3)]),
    ("mse", lambda: nn.MSELoss(), [R(4, 5), R(4, 5)]),
    ("l1_sum", lambda: nn.L1Loss(reduction="sum"), [R(4, 5), R(4, 5)]),
    ("smooth_l1", lambda: nn.SmoothL1Loss(beta=0.5), [R(4, 5), T(R(4, 5))]),
    ("huber", lambda: nn.HuberLoss(delta=0.7), [R(4, 5), T(R(4, 5))]),
    ("bce", lambda: nn.BCELoss(), [U(4, 5), U(4, 5, grad=False)]),
    ("bce_weight", lambda: nn.BCELoss(weight=W(1, 2, 0.5, 1, 3)), [U(4, 5), U(4, 5, grad=False)]),
    ("bce_logits_pos_weight",
     lambda: nn.BCEWithLogitsLoss(pos_weight=W(1, 2, 0.5, 1, 3)), [R(4, 5), U(4, 5, grad=False)]),
    ("bce_logits_weight_none",
     lambda: nn.BCEWithLogitsLoss(weight=W(1, 2, 0.5, 1, 3), reduction="none"),
     [R(4, 5), U(4, 5, grad=False)]),
    ("kldiv_batchmean", lambda: nn.KLDivLoss(reduction="batchmean"), [R(4, 5), DIST(4, 5)]),
    ("kldiv_log_target", lambda: nn.KLDivLoss(reduction="sum", log_target=True),
     [R(4, 5), DIST(4, 5, log=True)]),
    ("poisson_nll", lambda: nn.PoissonNLLLoss(), [R(4, 5), T(U(4, 5))]),
    ("poisson_nll_full", lambda: nn.PoissonNLLLoss(log_input=False, full=True),
     [U(4, 5), T(R(4, 5, scale=3))]),
    ("gaussian_nll", lambda: nn.GaussianNLLLoss(), [R(4, 5), T(R(4, 5)), U(4, 5)]),
    ("gaussian_nll_full", lambda: nn.GaussianNLLLoss(full=True), [R(4, 5), T(R(4, 5)), U(4, 1)]),
    ("gaussian_nll_float_var", lambda: _FloatVarGaussianNLL(), [R(4, 5), T(R(4, 5))]),
    ("soft_margin", lambda: nn.SoftMarginLoss(), [R(4, 5), SIGN(4, 5)]),
    ("margin_ranking", lambda: nn.MarginRankingLoss(0.3), [R(6), R(6), SIGN(6)]),
    ("cosine_embedding", lambda: nn.CosineEmbeddingLoss(0.2), [R(4, 5), R(4, 5), SIGN(4)]),
    ("sigmoid_focal", lambda: nn.SigmoidFocalLoss(reduction="mean"),
     [R(4, 5), T(U(4, 5))]),
    # padding and shapes
    ("zeropad1d", lambda: nn.ZeroPad1d((1, 2)), [X3]),
    ("zeropad2d", lambda: nn.ZeroPad2d((1, 2, 0, 1)), [X4]),
    ("zeropad3d", lambda: nn.ZeroPad3d(1), [R(1, 2, 3, 4, 3)]),
    ("constpad1d", lambda: nn.ConstantPad1d(2, 0.5), [X3]),
    ("constpad2d", lambda: nn.ConstantPad2d((1, 0, 2, 1), -1.0), [X4]),
    ("constpad3d", lambda: nn.ConstantPad3d(1, 2.0), [R(1, 2, 3, 4, 3)]),
    ("reflectpad1d", lambda: nn.ReflectionPad1d((2, 1)), [X3]),
    ("reflectpad2d", lambda: nn.ReflectionPad2d(2), [X4]),
    ("reflectpad3d", lambda: nn.ReflectionPad3d(1), [R(1, 2, 3, 4, 3)]),
    ("replicatepad1d", lambda: nn.ReplicationPad1d(3), [X3]),
    ("replicatepad2d", lambda: nn.ReplicationPad2d((1, 3, 2, 0)), [X4]),
    ("replicatepad3d", lambda: nn.ReplicationPad3d(1), [R(1, 2, 3, 4, 3)]),
    ("circularpad1d", lambda: nn.CircularPad1d(2), [X3]),
    ("circularpad2d", lambda: nn.CircularPad2d((1, 2, 2, 1)), [X4]),
    ("circularpad3d", lambda: nn.CircularPad3d(1), [R(1, 2, 3, 4, 3)]),
    ("flatten", lambda: nn.Flatten(), [X4]),
    ("unflatten", lambda: nn.Unflatten(2, (3, 3)), [X3]),
    ("sequential", lambda: nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(),
                                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(16, 3)), [X4]),
]


def _host(t: latte.Tensor) -> np.ndarray:
    return t.detach().cpu().numpy()


def _float_outputs(out) -> list:
    outs = list(out) if isinstance(out, tuple) else [out]
    return [o for o in outs if o.requires_grad]


def _close(got: latte.Tensor, expected: latte.Tensor, what: str, on=CUDA0) -> None:
    assert got.device == on, f"{what} is on {got.device}"
    if expected.dtype.is_floating_point:
        np.testing.assert_allclose(_host(got), _host(expected), rtol=1e-10, atol=1e-12,
                                   err_msg=what)
    else:
        np.testing.assert_array_equal(_host(got), _host(expected), err_msg=what)


def check_on_gpu(gpu, factory: Callable, specs: list, train: bool = True, seed: int = 0,
                 on: latte.device = CUDA0):
    """Run ``factory()`` on CPU and (a copy) on the GPU ``on``, forward and backward; compare
    outputs, input and parameter gradients and buffers, and count host copies. On a GPU other
    than the current one, the stand-in refuses work outside a device guard (as CuPy does)."""
    latte.manual_seed(seed)
    cpu_mod = factory().double().train(train)
    gpu_mod = factory().double().train(train)
    gpu_mod.to(on)
    gpu_mod.load_state_dict(cpu_mod.state_dict())  # CPU tensors copied into GPU parameters
    rng = np.random.default_rng(seed)
    arrays = [s.draw(rng) for s in specs]
    cpu_in = [latte.tensor(a, requires_grad=s.grad) for a, s in zip(arrays, specs)]
    gpu_in = [latte.tensor(a).to(on).requires_grad_(s.grad) for a, s in zip(arrays, specs)]

    expected = cpu_mod(*cpu_in)
    ups = [rng.standard_normal(tuple(o.shape)) for o in _float_outputs(expected)]
    cpu_ups = [latte.tensor(u) for u in ups]
    gpu_ups = [latte.tensor(u).to(on) for u in ups]
    before = gpu.transfers["to_host"]
    gpu.strict_current = on.index != gpu.current_device()
    got = gpu_mod(*gpu_in)
    outs = _float_outputs(got)
    if outs:
        sum((o * u).sum() for o, u in zip(outs, gpu_ups)).backward()
    gpu.strict_current = False
    assert gpu.transfers["to_host"] == before, "hidden copy to the host"
    if outs:
        sum((o * u).sum() for o, u in zip(_float_outputs(expected), cpu_ups)).backward()

    got_all = list(got) if isinstance(got, tuple) else [got]
    exp_all = list(expected) if isinstance(expected, tuple) else [expected]
    for i, (g, e) in enumerate(zip(got_all, exp_all)):
        _close(g, e, f"output {i}", on)
    for i, (g, e) in enumerate(zip(gpu_in, cpu_in)):
        if e.grad is not None:
            _close(g.grad, e.grad, f"grad of input {i}", on)
    gpu_params = dict(gpu_mod.named_parameters())
    for name, p in cpu_mod.named_parameters():
        if p.grad is not None:
            _close(gpu_params[name].grad, p.grad, f"grad of {name}", on)
    gpu_buffers = dict(gpu_mod.named_buffers())
    for name, b in cpu_mod.named_buffers():
        _close(gpu_buffers[name], b, f"buffer {name}", on)
    return cpu_mod, gpu_mod


@pytest.mark.parametrize("on", ["cuda:0", "cuda:1"])
@pytest.mark.parametrize("factory,specs", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_layer_on_gpu_matches_cpu(gpu, factory, specs, on):
    check_on_gpu(gpu, factory, specs, on=latte.device(on))


EVAL_CASES = ["batchnorm1d", "batchnorm2d", "batchnorm2d_no_stats", "instancenorm2d_affine_stats",
              "sequential"]


@pytest.mark.parametrize("on", ["cuda:0", "cuda:1"])
@pytest.mark.parametrize("name", EVAL_CASES)
def test_layer_eval_on_gpu_matches_cpu(gpu, name, on):
    factory, specs = next(c[1:] for c in CASES if c[0] == name)

    def trained():  # running statistics away from their initial values
        module = factory().double()
        with latte.no_grad():
            module(*[latte.tensor(s.draw(np.random.default_rng(5))) for s in specs])
        return module
    check_on_gpu(gpu, trained, specs, train=False, on=latte.device(on))


@pytest.mark.parametrize("on", ["cuda:0", "cuda:1"])
@pytest.mark.parametrize("cls", [nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.AlphaDropout])
def test_dropout_masks_on_gpu(gpu, cls, on):
    x = latte.randn(4, 6, 5, dtype=latte.float64).to(on).requires_grad_()
    drop = cls(0.4).to(on)
    before = gpu.transfers["to_host"]
    gpu.strict_current = on != "cuda:0"
    y = drop(x)
    y.sum().backward()
    gpu.strict_current = False
    assert gpu.transfers["to_host"] == before
    assert y.device == latte.device(on) and x.grad.device == latte.device(on)
    kept = _host(x.grad) != 0
    assert 0 < kept.mean() < 1
    if cls is not nn.AlphaDropout:
        np.testing.assert_allclose(_host(y)[kept], _host(x)[kept] / 0.6)
        assert np.all(_host(y)[~kept] == 0)
    assert drop.eval()(x) is x or np.array_equal(_host(drop(x)), _host(x))


def test_functional_interpolate_modes(gpu):
    x = latte.randn(2, 3, 5, 4, dtype=latte.float64)
    for kwargs in [dict(scale_factor=2, mode="nearest"), dict(size=(7, 3), mode="nearest"),
                   dict(scale_factor=1.7, mode="bilinear"),
                   dict(size=(8, 8), mode="bilinear", align_corners=True),
                   dict(size=(3, 2), mode="bilinear"), dict(size=(3, 2), mode="area"),
                   dict(size=(6, 9), mode="nearest-exact")]:
        before = gpu.transfers["to_host"]
        got = F.interpolate(x.cuda(), **kwargs)
        assert gpu.transfers["to_host"] == before
        _close(got, F.interpolate(x, **kwargs), str(kwargs))


def test_out_of_range_targets_give_nan_on_gpu_without_a_host_check(gpu):
    x = latte.randn(4, 5, dtype=latte.float64).cuda()
    t = latte.tensor([0, 7, 2, -3]).cuda()
    before = gpu.transfers["to_host"]
    ce = F.cross_entropy(x, t, reduction="none")
    nll = F.nll_loss(x, t)
    assert gpu.transfers["to_host"] == before  # PyTorch asserts on the device instead
    got = _host(ce)
    assert np.isnan(got[[1, 3]]).all() and np.isfinite(got[[0, 2]]).all()
    assert np.isnan(_host(nll))
    with pytest.raises(IndexError):
        F.cross_entropy(x.cpu(), t.cpu())


# --- clip_grad_norm_ and parameters_to_vector -------------------------------------------------
def _grads_on_both(gpu, on):
    latte.manual_seed(0)
    cpu = nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 2)).double()
    dev = nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 2)).double().to(on)
    dev.load_state_dict(cpu.state_dict())
    x = latte.randn(5, 4, dtype=latte.float64)
    (cpu(x) ** 2).sum().backward()
    (dev(x.to(on)) ** 2).sum().backward()
    return cpu, dev


@pytest.mark.parametrize("on", ["cuda:0", "cuda:1"])
@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, float("inf")])
@pytest.mark.parametrize("max_norm", [0.1, 1e6])
def test_clip_grad_norm_stays_on_gpu(gpu, norm_type, max_norm, on):
    cpu, dev = _grads_on_both(gpu, on)
    before = gpu.transfers["to_host"]
    gpu.strict_current = on != "cuda:0"
    total = nn.utils.clip_grad_norm_(dev.parameters(), max_norm, norm_type)
    gpu.strict_current = False
    assert gpu.transfers["to_host"] == before, "clip_grad_norm_ copied to the host"
    expected = nn.utils.clip_grad_norm_(cpu.parameters(), max_norm, norm_type)
    on = latte.device(on)
    _close(total, expected, "total norm", on)
    for p, q in zip(dev.parameters(), cpu.parameters()):
        _close(p.grad, q.grad, "clipped grad", on)


@pytest.mark.parametrize("on", ["cuda:0", "cuda:1"])
def test_clip_grad_value_and_vectors_on_gpu(gpu, on):
    cpu, dev = _grads_on_both(gpu, on)
    before = gpu.transfers["to_host"]
    gpu.strict_current = on != "cuda:0"
    nn.utils.clip_grad_value_(dev.parameters(), 0.5)
    vec = nn.utils.parameters_to_vector(dev.parameters())
    nn.utils.vector_to_parameters(vec * 2, dev.parameters())
    gpu.strict_current = False
    assert gpu.transfers["to_host"] == before
    nn.utils.clip_grad_value_(cpu.parameters(), 0.5)
    expected = nn.utils.parameters_to_vector(cpu.parameters())
    nn.utils.vector_to_parameters(expected * 2, cpu.parameters())
    on = latte.device(on)
    _close(vec, expected, "parameters_to_vector", on)
    for p, q in zip(dev.parameters(), cpu.parameters()):
        _close(p, q, "vector_to_parameters", on)
        _close(p.grad, q.grad, "clip_grad_value_", on)


# --- moving modules -----------------------------------------------------------------------------
def _net():
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
                         nn.Linear(4 * 3 * 3, 2))


def test_module_to_keeps_parameter_identity_and_moves_grads(gpu):
    net = _net()
    params = list(net.parameters())
    net(latte.randn(2, 3, 5, 5)).sum().backward()
    assert net.cuda() is net
    assert all(a is b for a, b in zip(net.parameters(), params))
    for p in net.parameters():
        assert p.device == CUDA0 and p.grad.device == CUDA0 and isinstance(p, nn.Parameter)
    for b in net.buffers():
        assert b.device == CUDA0
    if gpu.device_count() > 1:
        net.to("cuda:1")
        assert all(p.device == latte.device("cuda:1") for p in net.parameters())
    net.cpu()
    assert all(a is b for a, b in zip(net.parameters(), params))
    assert all(p.device.type == "cpu" and p.grad.device.type == "cpu" for p in net.parameters())
    assert all(b.device.type == "cpu" for b in net.buffers())
    net.to(latte.device("cuda"), latte.float64)
    assert all(p.device == CUDA0 and p.dtype == latte.float64 for p in net.parameters())
    assert net[1].num_batches_tracked.dtype == latte.int64


BUILT_WITH_DEVICE = [
    lambda d: nn.Linear(3, 2, device=d), lambda d: nn.Bilinear(2, 3, 4, device=d),
    lambda d: nn.Conv1d(2, 3, 3, device=d), lambda d: nn.Conv2d(2, 3, 3, device=d),
    lambda d: nn.ConvTranspose1d(2, 3, 3, device=d),
    lambda d: nn.ConvTranspose2d(2, 3, 3, device=d), lambda d: nn.BatchNorm1d(3, device=d),
    lambda d: nn.BatchNorm2d(3, device=d), lambda d: nn.LayerNorm(4, device=d),
    lambda d: nn.GroupNorm(2, 4, device=d), lambda d: nn.PReLU(3, device=d),
    lambda d: nn.InstanceNorm2d(3, affine=True, track_running_stats=True, device=d),
    lambda d: nn.Embedding(5, 2, device=d),
]


@pytest.mark.parametrize("make", BUILT_WITH_DEVICE)
def test_layer_built_with_device_argument(gpu, make):
    latte.manual_seed(0)
    cpu = make(None)
    latte.manual_seed(0)
    dev = make("cuda")
    state = dev.state_dict()
    for k, v in cpu.state_dict().items():
        assert state[k].device == CUDA0, k
        np.testing.assert_array_equal(_host(state[k]), v.numpy(), err_msg=k)


def test_state_dict_round_trip_between_devices(gpu):
    cpu = _net()
    dev = _net().cuda()
    ids = [id(p) for p in dev.parameters()]
    dev.load_state_dict(cpu.state_dict())
    assert [id(p) for p in dev.parameters()] == ids
    state = dev.state_dict()
    assert all(v.device == CUDA0 for v in state.values())
    for k, v in cpu.state_dict().items():
        np.testing.assert_array_equal(_host(state[k]), v.numpy())
    back = _net()
    back.load_state_dict(state)  # GPU tensors into a CPU model: copied to the host
    assert all(v.device.type == "cpu" for v in back.state_dict().values())
    for k, v in cpu.state_dict().items():
        np.testing.assert_array_equal(back.state_dict()[k].numpy(), v.numpy())
    dev.load_state_dict({k: v.numpy() for k, v in cpu.state_dict().items()})  # NumPy arrays too
    assert all(p.device == CUDA0 for p in dev.parameters())
    dev.load_state_dict({k: v.cuda()._data for k, v in cpu.state_dict().items()})  # raw GPU
    assert all(p.device == CUDA0 for p in dev.parameters())


def test_load_state_dict_assign_takes_the_given_tensors(gpu):
    dev = _net().cuda()
    state = {k: v.cuda() for k, v in _net().state_dict().items()}
    dev.load_state_dict(state, assign=True)
    assert all(p.device == CUDA0 for p in dev.parameters())


INITS = [
    ("uniform_", lambda t: nn.init.uniform_(t, -0.5, 0.5)),
    ("normal_", lambda t: nn.init.normal_(t, 0.0, 0.1)),
    ("constant_", lambda t: nn.init.constant_(t, 0.3)),
    ("ones_", nn.init.ones_), ("zeros_", nn.init.zeros_),
    ("eye_", lambda t: nn.init.eye_(t.view(t.shape[0], -1))),
    ("dirac_", nn.init.dirac_),
    ("xavier_uniform_", nn.init.xavier_uniform_), ("xavier_normal_", nn.init.xavier_normal_),
    ("kaiming_uniform_", nn.init.kaiming_uniform_), ("kaiming_normal_", nn.init.kaiming_normal_),
    ("trunc_normal_", nn.init.trunc_normal_), ("orthogonal_", nn.init.orthogonal_),
    ("sparse_", lambda t: nn.init.sparse_(t.view(t.shape[0], -1), 0.5)),
]


@pytest.mark.parametrize("name,fn", INITS, ids=[i[0] for i in INITS])
def test_init_keeps_parameters_on_gpu(gpu, name, fn):
    conv = nn.Conv2d(3, 3, 3).cuda()
    weight = conv.weight
    with latte.no_grad():
        fn(conv.weight)
    assert conv.weight is weight and conv.weight.device == CUDA0
    assert np.isfinite(_host(conv.weight)).all()


# --- a training step with no host copy -----------------------------------------------------------
def _zoo():
    from latte.vision import models
    return [
        ("mlp", lambda: models.mlp(), (4, 1, 28, 28)),
        ("lenet", lambda: models.lenet(), (4, 1, 28, 28)),
        ("mnist_resnet", lambda: models.mnist_resnet(), (4, 1, 28, 28)),
        ("resnet18", lambda: models.resnet18(num_classes=10, stem="cifar"), (4, 3, 32, 32)),
    ]


class _MomentumSGD:
    """SGD with momentum and weight decay from in-place Tensor ops (as ``latte.optim.SGD``),
    so the model's step is tested apart from the optimizer package's own port."""

    def __init__(self, params, lr: float, momentum: float, weight_decay: float) -> None:
        self.params, self.lr, self.momentum, self.wd = list(params), lr, momentum, weight_decay
        self.bufs: dict = {}

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @latte.no_grad()
    def step(self) -> None:
        for p in self.params:
            d = p.grad + self.wd * p
            buf = self.bufs.get(id(p))
            if buf is None:
                buf = self.bufs[id(p)] = d.clone()
            else:
                buf.mul_(self.momentum).add_(d)
            p.sub_(self.lr * buf)


OPTIMIZERS = [
    pytest.param(_MomentumSGD, id="inline_sgd"),
    pytest.param(lambda *a, **k: latte.optim.SGD(*a, **k), id="latte_optim_sgd"),
]


MODELS_ON = [("mlp", "cuda:0"), ("lenet", "cuda:0"), ("mnist_resnet", "cuda:0"),
             ("resnet18", "cuda:0"), ("mlp", "cuda:1"), ("mnist_resnet", "cuda:1")]


@pytest.mark.parametrize("make_opt", OPTIMIZERS)
@pytest.mark.parametrize("name,on", MODELS_ON, ids=[f"{n}-{o}" for n, o in MODELS_ON])
def test_training_step_without_host_copies(gpu, name, make_opt, on):
    factory, shape = next((f, s) for n, f, s in _zoo() if n == name)
    latte.manual_seed(0)
    cpu = factory().double()
    dev = factory().double().to(on)
    dev.load_state_dict(cpu.state_dict())
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal(shape), rng.integers(0, 10, shape[0])
    losses = []
    for model, to in ((dev, lambda t: t.to(on)), (cpu, lambda t: t)):
        opt = make_opt(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
        inputs, target = to(latte.tensor(x)), to(latte.tensor(y))
        before = gpu.transfers["to_host"]
        gpu.strict_current = model is dev and on != "cuda:0"  # all work under cuda:1's guard
        for _ in range(2):  # the second step uses the momentum buffers
            opt.zero_grad()
            loss = nn.CrossEntropyLoss()(model(inputs), target)
            loss.backward()
            opt.step()
        gpu.strict_current = False
        if model is dev:
            assert gpu.transfers["to_host"] == before, "hidden copy to the host"
            losses.append(loss.item())
            if gpu.name == "stand-in":  # real CuPy counts no copies
                assert gpu.transfers["to_host"] == before + 1
        else:
            losses.append(loss.item())
    assert losses[0] == pytest.approx(losses[1], rel=1e-10)
    cpu_state = cpu.state_dict()
    for k, v in dev.state_dict().items():
        assert v.device == latte.device(on), k
        np.testing.assert_allclose(_host(v), cpu_state[k].numpy(), rtol=1e-10, atol=1e-10,
                                   err_msg=k)


@pytest.mark.parametrize("name,fn", INITS, ids=[i[0] for i in INITS])
def test_init_on_the_second_gpu_runs_there(gpu, name, fn):
    conv = nn.Conv2d(3, 3, 3).to("cuda:1")  # cuda:0 stays current
    with latte.no_grad():
        fn(conv.weight)
    assert conv.weight.device == latte.device("cuda:1")
    assert np.isfinite(_host(conv.weight)).all()


def test_layers_made_and_loaded_on_the_second_gpu(gpu):
    fc = nn.Linear(4, 3, device="cuda:1")
    assert fc.weight.device == latte.device("cuda:1")
    fc.reset_parameters()
    fc.load_state_dict(nn.Linear(4, 3).state_dict())
    fc.load_state_dict({k: v.to("cuda:1") for k, v in nn.Linear(4, 3).state_dict().items()})
    assert fc(latte.randn(2, 4).to("cuda:1")).device == latte.device("cuda:1")
