"""The ``torch.*`` forms of ``torch.nn.functional`` operations (``torch.conv2d``,
``torch.dropout``, ``torch.layer_norm`` ...), over Latte's ``nn.functional``: no math of their
own.

Where PyTorch's top-level function is the ATen op, its parameters differ from ``F.*``:
``dropout(input, p, train)`` takes ``train`` and no defaults, ``embedding(weight, indices)``
takes the table first, losses take ``reduction`` as an int (0 none, 1 mean, 2 sum; omitted, it
is 0 in PyTorch's Python binding: the loss per element) and the norms take an ignored
``cudnn_enabled`` flag. Those are written out here with the same
parameters as PyTorch's; the rest are the ``F`` functions themselves.
"""
from __future__ import annotations

from typing import Any

from latte.nn import functional as F
from latte.nn.functional.dropout import _alpha_mask, _apply_mask, _check_p
from latte.tensor import Tensor

__all__ = [
    "conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "avg_pool1d",
    "adaptive_avg_pool1d", "bilinear", "cosine_similarity", "pairwise_distance", "pdist",
    "pixel_shuffle", "pixel_unshuffle", "channel_shuffle", "native_channel_shuffle", "prelu",
    "hardshrink", "relu_", "rrelu_", "max_pool1d", "max_pool2d", "max_pool1d_with_indices",
    "adaptive_max_pool1d", "dropout", "dropout_", "alpha_dropout", "alpha_dropout_",
    "feature_dropout", "feature_dropout_", "feature_alpha_dropout", "feature_alpha_dropout_",
    "layer_norm", "group_norm", "batch_norm", "instance_norm", "embedding", "rrelu", "selu",
    "selu_", "celu", "celu_", "threshold", "threshold_", "kl_div", "margin_ranking_loss",
    "hinge_embedding_loss", "cosine_embedding_loss", "triplet_margin_loss", "poisson_nll_loss",
    "binary_cross_entropy_with_logits", "constant_pad_nd", "conv3d", "conv_transpose3d",
    "max_pool3d", "ctc_loss", "embedding_bag", "rms_norm",
]

# the same parameters as PyTorch's top-level functions: the F functions themselves
conv1d, conv2d = F.conv1d, F.conv2d
conv_transpose1d, conv_transpose2d = F.conv_transpose1d, F.conv_transpose2d
avg_pool1d, adaptive_avg_pool1d = F.avg_pool1d, F.adaptive_avg_pool1d
bilinear, cosine_similarity, pairwise_distance = F.bilinear, F.cosine_similarity, \
    F.pairwise_distance
pdist, pixel_shuffle, pixel_unshuffle = F.pdist, F.pixel_shuffle, F.pixel_unshuffle
channel_shuffle = native_channel_shuffle = F.channel_shuffle
prelu, hardshrink, relu_ = F.prelu, F.hardshrink, F.relu_
conv3d, conv_transpose3d, rms_norm = F.conv3d, F.conv_transpose3d, F.rms_norm

_REDUCTIONS = {0: "none", 1: "mean", 2: "sum"}


def _reduction(reduction: Any) -> str:
    """PyTorch's ATen losses take the reduction as an int (``torch.nn._reduction``)."""
    if reduction in _REDUCTIONS:
        return _REDUCTIONS[reduction]
    if reduction in _REDUCTIONS.values():
        return reduction
    raise ValueError(f"{reduction!r} is not a valid value for reduction: expected 0 (none), "
                     "1 (mean) or 2 (sum)")


# --- pooling --------------------------------------------------------------------------------
def max_pool1d(input: Tensor, kernel_size: Any, stride: Any = (), padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False) -> Tensor:
    """The largest value of each window along the last dim of ``(N, C, L)`` (or ``(C, L)``);
    ``stride`` defaults (``()``) to ``kernel_size``. See ``nn.functional.max_pool1d``.

    Example::

        >>> latte.max_pool1d(latte.tensor([[[1.0, 3.0, 2.0, 0.0]]]), 2)
        tensor([[[3., 2.]]])
    """
    return F.max_pool1d(input, kernel_size, stride or None, padding, dilation, ceil_mode)


def max_pool2d(input: Tensor, kernel_size: Any, stride: Any = (), padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False) -> Tensor:
    """The largest value of each window over the last two dims of ``(N, C, H, W)``;
    ``stride`` defaults (``()``) to ``kernel_size``. See ``nn.functional.max_pool2d``.

    Example::

        >>> latte.max_pool2d(latte.arange(16.0).reshape(1, 1, 4, 4), 2)
        tensor([[[[ 5.,  7.],
                  [13., 15.]]]])
    """
    return F.max_pool2d(input, kernel_size, stride or None, padding, dilation, ceil_mode)


def max_pool3d(input: Tensor, kernel_size: Any, stride: Any = (), padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False) -> Tensor:
    """The largest value of each window over the last three dims of ``(N, C, D, H, W)``;
    ``stride`` defaults (``()``) to ``kernel_size``. See ``nn.functional.max_pool3d``.

    Example::

        >>> latte.max_pool3d(latte.arange(8.0).reshape(1, 1, 2, 2, 2), 2)
        tensor([[[[[7.]]]]])
    """
    return F.max_pool3d(input, kernel_size, stride or None, padding, dilation, ceil_mode)


def max_pool1d_with_indices(input: Tensor, kernel_size: Any, stride: Any = (),
                            padding: Any = 0, dilation: Any = 1, ceil_mode: bool = False
                            ) -> tuple[Tensor, Tensor]:
    """``max_pool1d`` with the position of each maximum along the input's last dim:
    ``(values, indices)``.

    Example::

        >>> latte.max_pool1d_with_indices(latte.tensor([[[1.0, 3.0, 2.0, 0.0]]]), 2)[1]
        tensor([[[1, 2]]])
    """
    return F.max_pool1d_with_indices(input, kernel_size, stride or None, padding, dilation,
                                     ceil_mode)


def adaptive_max_pool1d(input: Tensor, output_size: Any) -> tuple[Tensor, Tensor]:
    """The largest value of ``output_size`` near-equal windows along the last dim, with their
    indices: ``(values, indices)`` (PyTorch's top-level form always returns both).

    Example::

        >>> latte.adaptive_max_pool1d(latte.tensor([[[1.0, 3.0, 2.0, 0.0]]]), 2)[0]
        tensor([[[3., 2.]]])
    """
    return F.adaptive_max_pool1d(input, output_size, return_indices=True)


# --- dropout: (input, p, train), no defaults --------------------------------------------------
def _feature_mask(input: Tensor, p: float, train: bool, inplace: bool, name: str,
                  alpha: bool) -> Tensor:
    """Drop whole ``(n, c)`` planes: the mask is ``(N, C, 1, ..., 1)``, as ATen's
    ``_feature_dropout`` makes it for every input of 2 or more dims."""
    _check_p(p)
    if input.dim() < 2:
        raise RuntimeError(f"{name}: Feature dropout requires at least 2 dimensions in the "
                           f"input, got shape {tuple(input.shape)}")
    if not train or p == 0.0:
        return input
    shape = tuple(input.shape[:2]) + (1,) * (input.dim() - 2)
    make = _alpha_mask if alpha else _apply_mask
    return make(input, shape, p, inplace)


def dropout(input: Tensor, p: float, train: bool) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)`` when
    ``train``; ``input`` itself otherwise. (``F.dropout`` names the flag ``training``.)

    Example::

        >>> latte.dropout(latte.ones(4), 0.5, False)
        tensor([1., 1., 1., 1.])
    """
    return F.dropout(input, p, train)


def dropout_(input: Tensor, p: float, train: bool) -> Tensor:
    """In-place ``dropout``: the dropped and scaled values are written into ``input``.

    Example::

        >>> x = latte.ones(3)
        >>> latte.dropout_(x, 0.0, True) is x
        True
    """
    F.dropout(input, p, train, inplace=True)
    return input


def alpha_dropout(input: Tensor, p: float, train: bool) -> Tensor:
    """Alpha dropout (for SELU networks: mean and variance kept) when ``train``.

    Example::

        >>> latte.alpha_dropout(latte.ones(2), 0.5, False)
        tensor([1., 1.])
    """
    return F.alpha_dropout(input, p, train)


def alpha_dropout_(input: Tensor, p: float, train: bool) -> Tensor:
    """In-place ``alpha_dropout``, written into ``input``.

    Example::

        >>> x = latte.ones(3)
        >>> latte.alpha_dropout_(x, 0.5, False) is x
        True
    """
    F.alpha_dropout(input, p, train, inplace=True)
    return input


def feature_dropout(input: Tensor, p: float, train: bool) -> Tensor:
    """Zero whole channels (the ``(n, c)`` planes of an ``(N, C, *)`` input) with probability
    ``p``, scaling the rest by ``1 / (1 - p)``, when ``train``.

    Example::

        >>> latte.feature_dropout(latte.ones(2, 3, 4), 0.5, True).shape
        latte.Size([2, 3, 4])
    """
    return _feature_mask(input, p, train, False, "feature_dropout", alpha=False)


def feature_dropout_(input: Tensor, p: float, train: bool) -> Tensor:
    """In-place ``feature_dropout``, written into ``input``.

    Example::

        >>> x = latte.ones(2, 3)
        >>> latte.feature_dropout_(x, 0.5, True) is x
        True
    """
    _feature_mask(input, p, train, True, "feature_dropout_", alpha=False)
    return input


def feature_alpha_dropout(input: Tensor, p: float, train: bool) -> Tensor:
    """Alpha dropout of whole ``(n, c)`` planes of an ``(N, C, *)`` input, when ``train``.

    Example::

        >>> latte.feature_alpha_dropout(latte.ones(2, 3, 4), 0.5, True).shape
        latte.Size([2, 3, 4])
    """
    return _feature_mask(input, p, train, False, "feature_alpha_dropout", alpha=True)


def feature_alpha_dropout_(input: Tensor, p: float, train: bool) -> Tensor:
    """In-place ``feature_alpha_dropout``, written into ``input``.

    Example::

        >>> x = latte.ones(2, 3)
        >>> latte.feature_alpha_dropout_(x, 0.5, True) is x
        True
    """
    _feature_mask(input, p, train, True, "feature_alpha_dropout_", alpha=True)
    return input


# --- normalisation: ATen's parameter order, cudnn flags accepted ---------------------------------
def layer_norm(input: Tensor, normalized_shape: Any, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5, cudnn_enable: bool = True
               ) -> Tensor:
    """Normalise over the last ``len(normalized_shape)`` dims, then scale and shift
    (``cudnn_enable`` is accepted and ignored).

    Example::

        >>> latte.layer_norm(latte.tensor([[1.0, 3.0]]), (2,))
        tensor([[-1.0000,  1.0000]])
    """
    return F.layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5, cudnn_enabled: bool = True
               ) -> Tensor:
    """Normalise each of ``num_groups`` channel groups of ``(N, C, *)`` per sample, then scale
    and shift per channel (``cudnn_enabled`` is accepted and ignored).

    Example::

        >>> latte.group_norm(latte.tensor([[[1.0], [3.0]]]), 1)
        tensor([[[-1.0000],
                 [ 1.0000]]])
    """
    return F.group_norm(input, num_groups, weight, bias, eps)


def batch_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None,
               running_mean: Tensor | None, running_var: Tensor | None, training: bool,
               momentum: float, eps: float, cudnn_enabled: bool) -> Tensor:
    """Batch normalisation of ``(N, C, *)`` over all dims but ``C``, in ATen's argument order
    (weight and bias before the running statistics; every argument required).

    Example::

        >>> latte.batch_norm(latte.tensor([[1.0], [3.0]]), None, None, None, None, True, 0.1,
        ...                  1e-5, False)
        tensor([[-1.0000],
                [ 1.0000]])
    """
    return F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def instance_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None,
                  running_mean: Tensor | None, running_var: Tensor | None,
                  use_input_stats: bool, momentum: float, eps: float, cudnn_enabled: bool
                  ) -> Tensor:
    """Instance normalisation (each sample's channel over its spatial dims), in ATen's argument
    order (every argument required).

    Example::

        >>> latte.instance_norm(latte.tensor([[[1.0, 3.0]]]), None, None, None, None, True,
        ...                     0.1, 1e-5, False)
        tensor([[[-1.0000,  1.0000]]])
    """
    return F.instance_norm(input, running_mean, running_var, weight, bias, use_input_stats,
                           momentum, eps)


def embedding(weight: Tensor, indices: Tensor, padding_idx: int = -1,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """The rows of ``weight`` at ``indices`` (ATen's order: the table first); ``padding_idx``
    ``-1`` means none, else that row gets no gradient.

    Example::

        >>> latte.embedding(latte.tensor([[0.0, 1.0], [2.0, 3.0]]), latte.tensor([1, 0]))
        tensor([[2., 3.],
                [0., 1.]])
    """
    pad = None if padding_idx is None or padding_idx < 0 else padding_idx
    return F.embedding(indices, weight, pad, scale_grad_by_freq=scale_grad_by_freq,
                       sparse=sparse)


# --- activations --------------------------------------------------------------------------------
def embedding_bag(weight: Tensor, indices: Tensor, offsets: Tensor,
                  scale_grad_by_freq: bool = False, mode: int = 0, sparse: bool = False,
                  per_sample_weights: Tensor | None = None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Bags of rows of ``weight`` reduced by ``mode`` (0 sum, 1 mean, 2 max) as ATen's op:
    ``(output, offset2bag, bag_size, max_indices)``, the last three the bookkeeping PyTorch's
    CPU kernel returns (the bag of each index, each bag's size, the row of each maximum).
    See ``nn.functional.embedding_bag`` (the table there comes second).

    Example::

        >>> w = latte.arange(6.0).reshape(3, 2)
        >>> latte.embedding_bag(w, latte.tensor([0, 2, 1]), latte.tensor([0, 2]))[0]
        tensor([[4., 6.],
                [2., 3.]])
    """
    output = F.embedding_bag(indices, weight, offsets, None, 2, scale_grad_by_freq,
                             ("sum", "mean", "max")[mode], sparse, per_sample_weights,
                             include_last_offset, padding_idx)
    xp = weight._xp()
    idx = indices._data.reshape(-1)
    n_bags = output.shape[0]
    zeros = xp.zeros(n_bags, dtype=idx.dtype)
    if padding_idx is not None and padding_idx < 0:
        padding_idx += weight.shape[0]
    if mode == 0 and padding_idx is None and weight._data.dtype.itemsize <= 4:
        # PyTorch's fast float32/float16 sum kernel records no bag of each index
        return output, Tensor(xp.zeros(0, dtype=idx.dtype)), Tensor(zeros), Tensor(zeros.copy())
    off = offsets._data[:n_bags]
    bag = (xp.searchsorted(off, xp.arange(idx.shape[0]), side="right") - 1).astype(idx.dtype)
    if mode == 0:
        return output, Tensor(bag), Tensor(zeros), Tensor(zeros.copy())
    keep = idx != padding_idx if padding_idx is not None else xp.ones(idx.shape, dtype=bool)
    member = (bag[None, :] == xp.arange(n_bags)[:, None]) & keep[None, :]  # (B, T)
    sizes = member.sum(1).astype(idx.dtype)
    if mode == 1:
        return output, Tensor(bag), Tensor(sizes), Tensor(sizes.copy())
    rows = weight._data[idx]  # (T, D)
    scores = xp.where(member[:, :, None], rows[None], -xp.inf)
    best = idx[scores.argmax(1)]  # (B, D): the row holding each maximum
    return output, Tensor(bag), Tensor(sizes), Tensor(xp.where(sizes[:, None] > 0, best, 0))


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
          training: bool = False, generator: Any = None) -> Tensor:
    """Randomized leaky ReLU (slopes drawn in ``[lower, upper]`` when ``training``, their mean
    otherwise). ``generator`` must be None: slopes come from Latte's global RNG.

    Example::

        >>> latte.rrelu(latte.tensor([-2.0, 3.0]), 0.1, 0.3)
        tensor([-0.4000,  3.0000])
    """
    if generator is not None:
        raise NotImplementedError("latte.rrelu: a generator is not supported; seed the global "
                                  "RNG with latte.manual_seed")
    return F.rrelu(input, lower, upper, training)


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
           training: bool = False, generator: Any = None) -> Tensor:
    """In-place ``rrelu``, written into ``input`` (``generator`` must be None).

    Example::

        >>> latte.rrelu_(latte.tensor([-2.0, 3.0]), 0.1, 0.3)
        tensor([-0.4000,  3.0000])
    """
    if generator is not None:
        raise NotImplementedError("latte.rrelu_: a generator is not supported; seed the global "
                                  "RNG with latte.manual_seed")
    return F.rrelu_(input, lower, upper, training)


def selu(input: Tensor) -> Tensor:
    """``scale * elu(input, alpha)`` with SELU's self-normalising constants.

    Example::

        >>> latte.selu(latte.tensor([0.0, 1.0]))
        tensor([0.0000, 1.0507])
    """
    return F.selu(input)


def selu_(input: Tensor) -> Tensor:
    """In-place ``selu``, written into ``input``.

    Example::

        >>> latte.selu_(latte.tensor([0.0, 1.0]))
        tensor([0.0000, 1.0507])
    """
    return F.selu(input, inplace=True)


def celu(input: Tensor, alpha: float = 1.0) -> Tensor:
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``.

    Example::

        >>> latte.celu(latte.tensor([-1.0, 1.0]))
        tensor([-0.6321,  1.0000])
    """
    return F.celu(input, alpha)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place ``celu``, written into ``input``.

    Example::

        >>> latte.celu_(latte.tensor([-1.0, 1.0]))
        tensor([-0.6321,  1.0000])
    """
    return F.celu(input, alpha, inplace=True)


def threshold(input: Tensor, threshold: float, value: float) -> Tensor:
    """``input`` where it is greater than ``threshold``, else ``value``.

    Example::

        >>> latte.threshold(latte.tensor([0.5, 2.0]), 1.0, -1.0)
        tensor([-1.,  2.])
    """
    return F.threshold(input, threshold, value)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    """In-place ``threshold``, written into ``input``.

    Example::

        >>> latte.threshold_(latte.tensor([0.5, 2.0]), 1.0, -1.0)
        tensor([-1.,  2.])
    """
    return F.threshold(input, threshold, value, inplace=True)


# --- losses: reduction as ATen's int ------------------------------------------------------------
def kl_div(input: Tensor, target: Tensor, reduction: int = 0, *, log_target: bool = False
           ) -> Tensor:
    """Kullback-Leibler divergence of ``target`` from the log-probabilities ``input``, per
    element (``reduction`` 0) or reduced: 1 the mean over all elements, 2 the sum.

    Example::

        >>> latte.kl_div(latte.tensor([0.0, 0.0]).log_softmax(0), latte.tensor([0.5, 0.5]), 2)
        tensor(0.)
    """
    return F.kl_div(input, target, reduction=_reduction(reduction), log_target=log_target)


def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths: Any, target_lengths: Any,
             blank: int = 0, reduction: int = 0, zero_infinity: bool = False) -> Tensor:
    """Connectionist temporal classification loss of ``log_probs (T, N, C)`` against the
    targets; ``reduction`` as ATen's int (omitted: one loss per element). See
    ``nn.functional.ctc_loss``.

    Example::

        >>> lp = latte.randn(6, 2, 4).log_softmax(2)
        >>> latte.ctc_loss(lp, latte.tensor([[1, 2], [3, 3]]), (6, 5), (2, 2)).shape
        latte.Size([2])
    """
    return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank,
                      _reduction(reduction), zero_infinity)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                        reduction: int = 0) -> Tensor:
    """``max(0, -target * (input1 - input2) + margin)``, per element (``reduction`` 0) or
    reduced (1 mean, 2 sum).

    Example::

        >>> latte.margin_ranking_loss(latte.tensor([1.0]), latte.tensor([2.0]),
        ...                           latte.tensor([1.0]))
        tensor([1.])
    """
    return F.margin_ranking_loss(input1, input2, target, margin,
                                 reduction=_reduction(reduction))


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0,
                         reduction: int = 0) -> Tensor:
    """``input`` where ``target`` is 1, ``max(0, margin - input)`` where it is -1; per element
    (``reduction`` 0) or reduced (1 mean, 2 sum).

    Example::

        >>> latte.hinge_embedding_loss(latte.tensor([0.3, 2.0]), latte.tensor([-1.0, 1.0]), 1.0, 1)
        tensor(1.3500)
    """
    return F.hinge_embedding_loss(input, target, margin, reduction=_reduction(reduction))


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                          reduction: int = 0) -> Tensor:
    """``1 - cos(input1, input2)`` where ``target`` is 1, ``max(0, cos - margin)`` where -1;
    per pair (``reduction`` 0) or reduced (1 mean, 2 sum).

    Example::

        >>> latte.cosine_embedding_loss(latte.tensor([[1.0, 0.0]]), latte.tensor([[1.0, 0.0]]),
        ...                             latte.tensor([1.0]))
        tensor([0.])
    """
    return F.cosine_embedding_loss(input1, input2, target, margin,
                                   reduction=_reduction(reduction))


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor,
                        margin: float = 1.0, p: float = 2.0, eps: float = 1e-6,
                        swap: bool = False, reduction: int = 0) -> Tensor:
    """``max(d(anchor, positive) - d(anchor, negative) + margin, 0)`` with the ``p``-norm
    distance ``d``, per triplet (``reduction`` 0) or reduced (1 mean, 2 sum).

    Example::

        >>> a = latte.tensor([[0.0, 0.0]])
        >>> latte.triplet_margin_loss(a, a, a + 3.0)
        tensor([0.])
    """
    return F.triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap,
                                 reduction=_reduction(reduction))


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool, full: bool, eps: float,
                     reduction: int) -> Tensor:
    """Poisson negative log-likelihood (every argument required, as ATen's op; ``reduction``
    0 none, 1 mean, 2 sum).

    Example::

        >>> latte.poisson_nll_loss(latte.tensor([0.0]), latte.tensor([1.0]), True, False,
        ...                        1e-8, 1)
        tensor(1.)
    """
    return F.poisson_nll_loss(input, target, log_input, full, eps=eps,
                              reduction=_reduction(reduction))


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,
                                     weight: Tensor | None = None,
                                     pos_weight: Tensor | None = None,
                                     reduction: int = 0) -> Tensor:
    """Binary cross entropy of ``sigmoid(input)`` against ``target``, computed stably from the
    logits, per element (``reduction`` 0) or reduced (1 mean, 2 sum).

    Example::

        >>> latte.binary_cross_entropy_with_logits(latte.tensor([0.0]), latte.tensor([1.0]))
        tensor([0.6931])
    """
    return F.binary_cross_entropy_with_logits(input, target, weight,
                                              reduction=_reduction(reduction),
                                              pos_weight=pos_weight)


def constant_pad_nd(input: Tensor, pad: Any, value: Any = 0) -> Tensor:
    """Pad the last ``len(pad) // 2`` dims with ``value``: ``pad = (left, right, top, bottom,
    ...)`` starts at the last dim; negative entries crop.

    Example::

        >>> latte.constant_pad_nd(latte.tensor([1, 2]), (1, 2))
        tensor([0, 1, 2, 0, 0])
    """
    return F.pad(input, pad, "constant", value)
