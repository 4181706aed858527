"""Read and write safetensors files: tensors as raw bytes behind a JSON header, no pickle.

Layout: an 8-byte little-endian header length ``n``, ``n`` bytes of JSON
``{name: {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, "__metadata__": {...}}``
(offsets relative to the end of the header), then the data, little-endian and C-ordered.

Example::

    >>> from latte.safetensors import load_file, save_file
    >>> save_file(model.state_dict(), "model.safetensors")  # doctest: +SKIP
    >>> model.load_state_dict(load_file("model.safetensors"))  # doctest: +SKIP
"""
from __future__ import annotations

import json
import math
import os
import struct
from typing import Any

import numpy as np

from latte import backend
from latte.tensor import Tensor

__all__ = ["save_file", "load_file", "save", "load"]

_DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "I64": np.int64,
           "I32": np.int32, "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_}
_CODES = {np.dtype(v): k for k, v in _DTYPES.items()}
_MAX_HEADER = 100 * 1024 * 1024  # the reference implementation's limit


def save(tensors: dict[str, Tensor], metadata: dict[str, str] | None = None) -> bytes:
    """The safetensors bytes of ``tensors`` (a flat dict of name -> tensor)."""
    if not isinstance(tensors, dict):
        raise TypeError(f"safetensors stores a dict of name -> tensor, got {type(tensors)}")
    header: dict[str, Any] = {}
    if metadata is not None:
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
            raise TypeError("safetensors metadata must map str to str")
        header["__metadata__"] = dict(metadata)
    arrays, offset = [], 0
    for name, t in tensors.items():
        if not isinstance(name, str) or name == "__metadata__":
            raise ValueError(f"invalid safetensors tensor name {name!r}")
        if not isinstance(t, Tensor):
            raise TypeError(f"safetensors stores tensors; {name!r} is a {type(t).__name__}")
        # a GPU tensor is copied to the host explicitly: the file holds host bytes
        host = backend.to_device(t._data, backend.cpu)
        a = np.asarray(host, order="C")  # ascontiguousarray would make 0-d arrays 1-d
        if a.dtype not in _CODES:
            raise TypeError(f"safetensors cannot store {name!r} of dtype {a.dtype}")
        a = a.astype(a.dtype.newbyteorder("<"), copy=False)
        header[name] = {"dtype": _CODES[a.dtype.newbyteorder("=")], "shape": list(a.shape),
                        "data_offsets": [offset, offset + a.nbytes]}
        arrays.append(a)
        offset += a.nbytes
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)  # pad with spaces to keep the data 8-byte aligned
    return b"".join([struct.pack("<Q", len(head)), head, *(a.tobytes() for a in arrays)])


def save_file(tensors: dict[str, Tensor], filename: str | os.PathLike,
              metadata: dict[str, str] | None = None) -> None:
    """Write ``tensors`` (a flat dict, e.g. a ``state_dict``) to a ``.safetensors`` file."""
    data = save(tensors, metadata)
    with open(filename, "wb") as fh:
        fh.write(data)


def load(data: bytes, name: str = "<bytes>") -> dict[str, Tensor]:
    """The tensors held in safetensors ``data``; each is a fresh, writable array."""
    if len(data) < 8:
        raise ValueError(f"{name} is not a safetensors file: shorter than its 8-byte header size")
    (n,) = struct.unpack("<Q", data[:8])
    if n > _MAX_HEADER or 8 + n > len(data):
        raise ValueError(f"{name} is not a safetensors file or is truncated: header of {n} "
                         f"bytes in a file of {len(data)}")
    try:
        header = json.loads(data[8:8 + n])
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{name}: the safetensors header is not valid JSON ({e})") from e
    if not isinstance(header, dict):
        raise ValueError(f"{name}: the safetensors header is not a JSON object")
    body, out = memoryview(data)[8 + n:], {}
    for key, info in header.items():
        if key == "__metadata__":
            continue
        try:
            dtype = np.dtype(_DTYPES[info["dtype"]]).newbyteorder("<")
            shape = [int(d) for d in info["shape"]]
            begin, end = (int(o) for o in info["data_offsets"])
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f"{name}: bad safetensors entry for {key!r}: {info!r:.120}") from e
        if begin < 0 or end > len(body) or end - begin != math.prod(shape) * dtype.itemsize:
            raise ValueError(f"{name}: tensor {key!r} of shape {shape} and dtype "
                             f"{info['dtype']} does not fit its data offsets [{begin}, {end}] "
                             f"(data section of {len(body)} bytes)")
        array = np.frombuffer(body[begin:end], dtype=dtype).astype(dtype.newbyteorder("="))
        out[key] = Tensor(array.reshape(shape))
    return out


def load_file(filename: str | os.PathLike, device: str | int = "cpu") -> dict[str, Tensor]:
    """Read a ``.safetensors`` file into a dict of name -> tensor, placed on ``device``
    (``'cpu'``, ``'cuda'``, ``'cuda:1'`` or a GPU index, as safetensors' ``device=``)."""
    with open(filename, "rb") as fh:  # FileNotFoundError names the path
        tensors = load(fh.read(), os.fspath(filename))
    place = backend.parse_device(device)
    if place.type == "cpu":
        return tensors
    return {k: Tensor(backend.to_device(t._data, place)) for k, t in tensors.items()}


def metadata(filename: str | os.PathLike) -> dict[str, str] | None:
    """The ``__metadata__`` dict of a ``.safetensors`` file, or None."""
    with open(filename, "rb") as fh:
        (n,) = struct.unpack("<Q", fh.read(8))
        return json.loads(fh.read(n)).get("__metadata__")
