"""Reading and writing IDX files, the format of MNIST and its look-alikes.

An IDX file is a 4-byte magic number ``0x00 0x00 <type> <ndim>``, then ``ndim`` big-endian
uint32 sizes, then the values in row-major order. MNIST labels are ``0x801`` (uint8, 1-D) and
images ``0x803`` (uint8, 3-D). Files may be gzip-compressed (``.gz``).
"""
from __future__ import annotations

import gzip
import hashlib
import os
import zlib
from pathlib import Path

import numpy as np

__all__ = ["read_idx", "read_idx_bytes", "write_idx", "decompressed_md5"]

# IDX type codes; multi-byte types are stored big-endian.
_IDX_TYPES = {0x08: np.dtype(np.uint8), 0x09: np.dtype(np.int8), 0x0B: np.dtype(">i2"),
              0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
_TYPE_CODES = {np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09}


def _read_raw(path: Path) -> bytes:
    """The file's bytes, decompressed when it is gzip; truncation or corruption names the path."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return gzip.decompress(raw)
    except (EOFError, OSError, zlib.error) as e:
        raise RuntimeError(f"{path} is a corrupt or truncated gzip file ({e}); "
                           "delete it and download it again") from None


def read_idx_bytes(raw: bytes, expected_ndim: int | None = None,
                   source: str = "<bytes>") -> np.ndarray:
    """Parse IDX content, checking the magic number, the sizes and the length.

    Returns a writable NumPy array in native byte order, shaped as the header says.
    """
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise RuntimeError(f"{source} is not an IDX file: bad magic number {raw[:4].hex()!r}")
    code, ndim = raw[2], raw[3]
    if code not in _IDX_TYPES:
        raise RuntimeError(f"{source}: unknown IDX type code 0x{code:02x}")
    if expected_ndim is not None and ndim != expected_ndim:
        magic = 0x800 + expected_ndim
        raise RuntimeError(f"{source}: expected IDX magic 0x{magic:x} ({expected_ndim}-D), "
                           f"found 0x{code << 8 | ndim:x} ({ndim}-D)")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise RuntimeError(f"{source} is truncated: {len(raw)} bytes, header needs {header}")
    shape = tuple(int(s) for s in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = _IDX_TYPES[code]
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) != expected:
        raise RuntimeError(f"{source} is truncated or corrupt: the header {shape} needs "
                           f"{expected} bytes, the file has {len(raw)}")
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="), copy=True)


def read_idx(path: str | os.PathLike, expected_ndim: int | None = None) -> np.ndarray:
    """Read an IDX file (``.gz`` or not) into a NumPy array, validating its header and size.

    Example::

        images = read_idx("MNIST/raw/train-images-idx3-ubyte.gz", 3)   # (60000, 28, 28) uint8
    """
    path = Path(path)
    return read_idx_bytes(_read_raw(path), expected_ndim, str(path))


def decompressed_md5(path: str | os.PathLike) -> str:
    """The MD5 of a file's content after gzip decompression (the file's own MD5 if not gzip)."""
    return hashlib.md5(_read_raw(Path(path))).hexdigest()


def write_idx(path: str | os.PathLike, array: np.ndarray, compress: bool | None = None) -> None:
    """Write a uint8/int8 array as an IDX file; gzip it when ``compress`` (default: ``.gz`` name).

    ``mtime=0`` keeps the bytes reproducible.
    """
    array = np.ascontiguousarray(array)
    if array.dtype not in _TYPE_CODES:
        raise TypeError(f"write_idx supports uint8 and int8 arrays, got {array.dtype}")
    header = bytes([0, 0, _TYPE_CODES[array.dtype], array.ndim])
    header += np.asarray(array.shape, dtype=">u4").tobytes()
    raw = header + array.tobytes()
    if compress is None:
        compress = str(path).endswith(".gz")
    if compress:
        raw = gzip.compress(raw, compresslevel=9, mtime=0)
    with open(path, "wb") as f:
        f.write(raw)
