"""Summary records for TensorBoard, built with the ``tensorboard`` package's own protocol buffers.

Each function returns a ``Summary`` proto; ``SummaryWriter`` wraps it in an ``Event`` with the
step and wall time. Arrays may be Latte tensors or NumPy arrays.
"""
from __future__ import annotations

import io
from typing import Any

import numpy as np

from latte.tensor import Tensor

__all__ = ["scalar", "histogram", "image", "text", "hparams"]


def _protos() -> Any:
    try:
        from tensorboard.compat.proto import summary_pb2
    except ImportError:
        raise ImportError("TensorBoard logging needs the tensorboard package: "
                          "pip install tensorboard") from None
    return summary_pb2


def as_array(values: Any) -> np.ndarray:
    """A tensor (any device), array or number as a NumPy array."""
    if isinstance(values, Tensor):
        return values.detach().cpu().numpy()
    return np.asarray(values)


def scalar(tag: str, value: Any) -> Any:
    summary_pb2 = _protos()
    return summary_pb2.Summary(value=[summary_pb2.Summary.Value(
        tag=tag, simple_value=float(as_array(value)))])


def _exponential_edges() -> np.ndarray:
    """TensorFlow's default histogram buckets: +-1e-12 growing by 10% to +-1e20, and the
    extremes, so that histograms of any scale share one bucketing."""
    positive = [1e-12]
    while positive[-1] < 1e20:
        positive.append(positive[-1] * 1.1)
    limits = np.array(positive)
    return np.concatenate([[-np.finfo(np.float64).max], -limits[::-1], [0.0], limits,
                           [np.finfo(np.float64).max]])


def histogram(tag: str, values: Any, bins: Any = "tensorflow", max_bins: int | None = None
              ) -> Any:
    """A histogram of ``values``: ``bins`` is ``'tensorflow'`` (TensorBoard's exponential
    buckets), or anything ``numpy.histogram`` takes (``'auto'``, a count, edges)."""
    summary_pb2 = _protos()
    flat = as_array(values).astype(np.float64).reshape(-1)
    flat = flat[np.isfinite(flat)]
    if flat.size == 0:
        raise ValueError(f"add_histogram({tag!r}): no finite values to draw")
    if bins == "tensorflow":
        edges = _exponential_edges()
        counts = np.histogram(flat, bins=edges)[0]
        used = np.nonzero(counts)[0]
        lo, hi = used[0], used[-1] + 1  # drop the empty buckets at both ends
        counts, limits = counts[lo:hi], edges[lo + 1:hi + 1]
    else:
        counts, edges = np.histogram(flat, bins=bins)
        limits = edges[1:]
    if max_bins is not None and len(counts) > max_bins:
        group = -(-len(counts) // max_bins)
        pad = (-len(counts)) % group
        counts = np.pad(counts, (0, pad)).reshape(-1, group).sum(1)
        limits = np.pad(limits, (0, pad), mode="edge").reshape(-1, group)[:, -1]
    proto = summary_pb2.HistogramProto(
        min=float(flat.min()), max=float(flat.max()), num=int(flat.size),
        sum=float(flat.sum()), sum_squares=float((flat * flat).sum()),
        bucket_limit=[float(x) for x in limits], bucket=[float(c) for c in counts])
    return summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, histo=proto)])


def to_hwc_uint8(img: Any, dataformats: str) -> np.ndarray:
    """An image in ``dataformats`` (``CHW``, ``HWC``, ``HW``...) as ``(H, W, C)`` uint8; float
    images are read in [0, 1], as PyTorch's SummaryWriter does."""
    array = as_array(img)
    order = dataformats.upper()
    if len(order) != array.ndim:
        raise ValueError(f"add_image: dataformats {dataformats!r} does not match an image of "
                         f"shape {array.shape}")
    if "C" not in order:
        array, order = array[..., None], order + "C"
    array = np.transpose(array, [order.index(axis) for axis in "HWC"])
    if array.shape[2] == 1:
        array = np.repeat(array, 3, axis=2)
    if array.dtype != np.uint8:
        array = (np.clip(array.astype(np.float64), 0, 1) * 255 + 0.5).astype(np.uint8)
    return np.ascontiguousarray(array)


def image(tag: str, hwc: np.ndarray) -> Any:
    """A PNG image summary of an ``(H, W, C)`` uint8 array (C = 3 or 4)."""
    summary_pb2 = _protos()
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("add_image needs Pillow to encode PNG: pip install pillow") from None
    buffer = io.BytesIO()
    Image.fromarray(hwc).save(buffer, format="PNG")
    height, width, channels = hwc.shape
    proto = summary_pb2.Summary.Image(height=height, width=width, colorspace=channels,
                                      encoded_image_string=buffer.getvalue())
    return summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, image=proto)])


def text(tag: str, text_string: str) -> Any:
    """A text summary (TensorBoard's Text tab renders it as Markdown)."""
    summary_pb2 = _protos()
    from tensorboard.compat.proto import tensor_pb2, tensor_shape_pb2
    metadata = summary_pb2.SummaryMetadata(
        plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="text"))
    tensor = tensor_pb2.TensorProto(
        dtype="DT_STRING", string_val=[text_string.encode("utf-8")],
        tensor_shape=tensor_shape_pb2.TensorShapeProto(
            dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=1)]))
    return summary_pb2.Summary(value=[summary_pb2.Summary.Value(
        tag=tag + "/text_summary", metadata=metadata, tensor=tensor)])


def hparams(hparam_dict: dict[str, Any], metric_tags: list[str]) -> list[Any]:
    """The three HParams-plugin summaries of one run: the experiment (which hyper-parameters
    and metrics exist), this run's values (session start) and its end (session end)."""
    _protos()
    from tensorboard.plugins.hparams import api_pb2, metadata, summary_v2
    values = {name: value if isinstance(value, (bool, int, float, str)) else str(value)
              for name, value in hparam_dict.items()}
    experiment = summary_v2.hparams_config_pb(
        hparams=[summary_v2.HParam(name) for name in values],
        metrics=[summary_v2.Metric(tag) for tag in metric_tags])
    start = summary_v2.hparams_pb(values)
    end_data = metadata.plugin_data_pb2.HParamsPluginData(
        version=metadata.PLUGIN_DATA_VERSION,
        session_end_info=metadata.plugin_data_pb2.SessionEndInfo(status=api_pb2.STATUS_SUCCESS))
    summary_pb2 = _protos()
    end = summary_pb2.Summary(value=[summary_pb2.Summary.Value(
        tag=metadata.SESSION_END_INFO_TAG, metadata=metadata.create_summary_metadata(end_data),
        tensor=metadata.NULL_TENSOR)])
    return [experiment, start, end]
