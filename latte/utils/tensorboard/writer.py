"""``SummaryWriter``: TensorBoard event files, with ``torch.utils.tensorboard``'s API.

Events are written by the ``tensorboard`` package's ``EventFileWriter`` (a queue flushed every
``flush_secs``), so the files are the ones TensorBoard reads. ``pip install tensorboard``.

Example::

    >>> with SummaryWriter("runs/exp1") as writer:
    ...     for step in range(100):
    ...         writer.add_scalar("loss", 1 / (step + 1), step)
"""
from __future__ import annotations

import os
import socket
import time
from datetime import datetime
from typing import Any

import numpy as np

from latte.utils.tensorboard import summary as S
from latte.utils.tensorboard.graph import graph_def

__all__ = ["SummaryWriter"]


def _default_log_dir(comment: str) -> str:
    stamp = datetime.now().strftime("%b%d_%H-%M-%S")
    return os.path.join("runs", f"{stamp}_{socket.gethostname()}{comment}")


class SummaryWriter:
    """Writes scalars, histograms, images, figures, text, hyper-parameters and graphs to
    ``log_dir`` (default ``runs/<date>_<host><comment>``) for TensorBoard."""

    def __init__(self, log_dir: str | os.PathLike | None = None, comment: str = "",
                 purge_step: int | None = None, max_queue: int = 10, flush_secs: int = 120,
                 filename_suffix: str = "") -> None:
        try:
            from tensorboard.summary.writer.event_file_writer import EventFileWriter
        except ImportError:
            raise ImportError("SummaryWriter needs the tensorboard package: "
                              "pip install tensorboard") from None
        self._writer_class = EventFileWriter
        self.log_dir = str(log_dir) if log_dir is not None else _default_log_dir(comment)
        self.max_queue, self.flush_secs, self.filename_suffix = (max_queue, flush_secs,
                                                                filename_suffix)
        self._writer = EventFileWriter(self.log_dir, max_queue, flush_secs, filename_suffix)
        self._children: dict[str, Any] = {}  # add_scalars' one writer per series
        self.purge_step = purge_step
        if purge_step is not None:
            self._add_event(self._writer, step=purge_step, file_version="brain.Event:2")
            self._add_event(self._writer, step=purge_step, session_log=True)

    def get_logdir(self) -> str:
        return self.log_dir

    # --- events ------------------------------------------------------------------------------
    def _add_event(self, writer: Any, step: int | None = None, walltime: float | None = None,
                   summary: Any = None, graph: Any = None, file_version: str | None = None,
                   session_log: bool = False) -> None:
        from tensorboard.compat.proto import event_pb2
        event = event_pb2.Event(wall_time=time.time() if walltime is None else walltime)
        if step is not None:
            event.step = int(step)
        if summary is not None:
            event.summary.CopyFrom(summary)
        if graph is not None:
            event.graph_def = graph.SerializeToString()
        if file_version is not None:
            event.file_version = file_version
        if session_log:  # TensorBoard drops events after purge_step from earlier runs
            event.session_log.status = event_pb2.SessionLog.START
        writer.add_event(event)

    def _summary(self, summary: Any, step: int | None, walltime: float | None) -> None:
        self._add_event(self._writer, step, walltime, summary=summary)

    # --- the API -----------------------------------------------------------------------------
    def add_scalar(self, tag: str, scalar_value: Any, global_step: int | None = None,
                   walltime: float | None = None, new_style: bool = False,
                   double_precision: bool = False) -> None:
        """One point of the curve ``tag``."""
        self._summary(S.scalar(tag, scalar_value), global_step, walltime)

    def add_scalars(self, main_tag: str, tag_scalar_dict: dict[str, Any],
                    global_step: int | None = None, walltime: float | None = None) -> None:
        """Several curves on one chart: each goes to its own run ``log_dir/main_tag_tag``."""
        walltime = time.time() if walltime is None else walltime
        for tag, value in tag_scalar_dict.items():
            folder = os.path.join(self.log_dir, f"{main_tag.replace('/', '_')}_{tag}")
            writer = self._children.get(folder)
            if writer is None:
                writer = self._children[folder] = self._writer_class(
                    folder, self.max_queue, self.flush_secs, self.filename_suffix)
            self._add_event(writer, global_step, walltime, summary=S.scalar(main_tag, value))

    def add_histogram(self, tag: str, values: Any, global_step: int | None = None,
                      bins: Any = "tensorflow", walltime: float | None = None,
                      max_bins: int | None = None) -> None:
        """The distribution of ``values`` (weights, gradients, activations)."""
        self._summary(S.histogram(tag, values, bins, max_bins), global_step, walltime)

    def add_image(self, tag: str, img_tensor: Any, global_step: int | None = None,
                  walltime: float | None = None, dataformats: str = "CHW") -> None:
        """One image; floats are read in [0, 1], uint8 in [0, 255]."""
        self._summary(S.image(tag, S.to_hwc_uint8(img_tensor, dataformats)), global_step,
                      walltime)

    def add_images(self, tag: str, img_tensor: Any, global_step: int | None = None,
                   walltime: float | None = None, dataformats: str = "NCHW") -> None:
        """A batch of images, shown as one grid."""
        batch = S.as_array(img_tensor)
        order = dataformats.upper()
        axis = order.index("N")
        images = [S.to_hwc_uint8(np.take(batch, i, axis=axis), order.replace("N", ""))
                  for i in range(batch.shape[axis])]
        self._summary(S.image(tag, _grid(images)), global_step, walltime)

    def add_figure(self, tag: str, figure: Any, global_step: int | None = None,
                   close: bool = True, walltime: float | None = None) -> None:
        """A matplotlib figure (or a list of them, side by side), rendered to an image."""
        figures = figure if isinstance(figure, (list, tuple)) else [figure]
        images = []
        for fig in figures:
            fig.canvas.draw()
            images.append(np.asarray(fig.canvas.buffer_rgba())[:, :, :3].copy())
            if close:
                import matplotlib.pyplot as plt  # only when a figure is given
                plt.close(fig)
        self._summary(S.image(tag, images[0] if len(images) == 1 else _grid(images)),
                      global_step, walltime)

    def add_text(self, tag: str, text_string: str, global_step: int | None = None,
                 walltime: float | None = None) -> None:
        self._summary(S.text(tag, text_string), global_step, walltime)

    def add_hparams(self, hparam_dict: dict[str, Any], metric_dict: dict[str, Any],
                    hparam_domain_discrete: dict | None = None, run_name: str | None = None,
                    global_step: int | None = None) -> None:
        """A run for TensorBoard's HParams tab: the hyper-parameters and their final metrics,
        in a sub-run ``run_name`` (default: the current time), as PyTorch writes them."""
        if not isinstance(hparam_dict, dict) or not isinstance(metric_dict, dict):
            raise TypeError("hparam_dict and metric_dict should be dictionaries.")
        folder = os.path.join(self.log_dir, run_name or str(time.time()))
        with SummaryWriter(folder) as child:
            for record in S.hparams(hparam_dict, list(metric_dict)):
                child._summary(record, global_step, None)
            for tag, value in metric_dict.items():
                child.add_scalar(tag, value, global_step)

    def add_graph(self, model: Any, input_to_model: Any = None, verbose: bool = False,
                  use_strict_trace: bool = True) -> None:
        """The graph autograd records for one forward of ``model`` (see ``graph.py``)."""
        from latte.autograd.grad_mode import enable_grad
        with enable_grad():
            graph = graph_def(model, input_to_model)
        self._add_event(self._writer, graph=graph)

    def flush(self) -> None:
        self._writer.flush()
        for writer in self._children.values():
            writer.flush()

    def close(self) -> None:
        self._writer.close()
        for writer in self._children.values():
            writer.close()
        self._children.clear()

    def __enter__(self) -> SummaryWriter:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _grid(images: list[np.ndarray], pad: int = 2) -> np.ndarray:
    """Images of one size side by side in a near-square grid (as ``make_grid``)."""
    n = len(images)
    cols = int(np.ceil(np.sqrt(n)))
    rows = -(-n // cols)
    h, w, c = images[0].shape
    grid = np.zeros((rows * (h + pad) + pad, cols * (w + pad) + pad, c), dtype=np.uint8)
    for i, img in enumerate(images):
        r, k = divmod(i, cols)
        grid[pad + r * (h + pad):pad + r * (h + pad) + h,
             pad + k * (w + pad):pad + k * (w + pad) + w] = img
    return grid
