"""The zip format of ``torch.save`` (torch >= 1.6), read and written as torch does: stored
records aligned to 64 bytes, ``data.pkl`` and one raw record per storage under ``data/``."""
from __future__ import annotations

import io
import struct
import sys
import uuid
import zipfile
from typing import IO, Any

import numpy as np

from latte.serialization._pickle import _ascii, _unpickle, _Unpickler
from latte.serialization._storage import MapLocation, _LoadError, _restore, _Storage, _storage_dtype

__all__: list[str] = []

_ALIGNMENT = 64  # torch aligns every record's data to 64 bytes (inline_container.cc)
_CHUNK = 1 << 24  # bytes copied at a time out of a zip record


def _load_zip(f: IO[bytes], name: str, map_location: MapLocation, weights_only: bool) -> Any:
    """Read the zip format of ``torch.save`` (torch >= 1.6) and ``latte.save``."""
    try:
        archive = zipfile.ZipFile(f)
        records = archive.namelist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as e:
        raise RuntimeError(f"{name} is not a readable checkpoint: the zip archive is truncated "
                           f"or corrupt ({e})") from e
    if not records or "/" not in records[0]:
        raise RuntimeError(f"{name} is a zip archive but not a PyTorch checkpoint (no archive "
                           "folder holding data.pkl)")
    twice = sorted({r for r in records if records.count(r) > 1})
    if twice:  # zipfile would silently read the last copy: which one was meant is unknown
        raise RuntimeError(f"{name} is corrupt: the zip archive holds duplicate records "
                           f"{twice[:3]}")
    prefix = records[0].split("/", 1)[0] + "/"  # as torch: the first record's folder
    if prefix + "constants.pkl" in records:
        raise RuntimeError(f"{name} is a TorchScript archive (torch.jit.save); Latte loads "
                           "checkpoints written by torch.save, e.g. of a state_dict()")
    if prefix + "data.pkl" not in records:
        raise RuntimeError(f"{name} is a zip archive but not a PyTorch checkpoint: it has no "
                           f"{prefix}data.pkl")
    swap = False
    if prefix + "byteorder" in records:
        order = _read_small(archive, prefix + "byteorder", name).decode("ascii", "replace")
        if order not in ("little", "big"):
            raise RuntimeError(f"{name}: unknown byte order {order!r}")
        swap = order != sys.byteorder
    loaded: dict[str, _Storage] = {}

    def load_storage(pid: tuple) -> _Storage:
        if len(pid) != 5:
            raise _LoadError(f"unexpected storage id in checkpoint: {pid!r:.80}")
        _, storage_type, key, location, numel = pid
        key = str(_ascii(key))
        if key not in loaded:  # tensors sharing a storage read it once
            array = _read_record(archive, f"{prefix}data/{key}", _storage_dtype(storage_type),
                                 numel)
            if swap:
                array.byteswap(inplace=True)
            loaded[key] = _restore(_Storage(array), str(_ascii(location)), map_location)
        return loaded[key]

    pickled = io.BytesIO(_read_small(archive, prefix + "data.pkl", name))
    return _unpickle(_Unpickler(pickled, name, weights_only, load_storage), name)


def _read_small(archive: zipfile.ZipFile, record: str, name: str) -> bytes:
    """Read a whole record, naming the file if it is damaged."""
    try:
        return archive.read(record)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as e:
        raise RuntimeError(f"{name} is truncated or corrupt: cannot read {record} ({e})") from e


def _read_record(archive: zipfile.ZipFile, record: str, dtype: np.dtype, numel: Any) -> np.ndarray:
    """Read a storage record into a fresh writable array, in chunks to avoid a second copy."""
    if type(numel) is not int or numel < 0:
        raise _LoadError(f"invalid storage size {numel!r} in checkpoint")
    try:
        info = archive.getinfo(record)
    except KeyError:
        raise _LoadError(f"storage record {record} is missing") from None
    nbytes = numel * dtype.itemsize
    if info.file_size != nbytes:
        raise _LoadError(f"storage record {record} holds {info.file_size} bytes, expected "
                         f"{nbytes}")
    # sizes are checked against the archive before allocating: a forged size in a small file
    # must not reserve gigabytes (stored records hold exactly their bytes before the directory)
    stored = info.compress_type == zipfile.ZIP_STORED
    if (stored and info.compress_size != nbytes) or \
            info.header_offset + info.compress_size > archive.start_dir:
        raise _LoadError(f"storage record {record} declares {nbytes} bytes, more than the "
                         f"archive holds")
    array = np.empty(numel, dtype=dtype)
    out = array.view(np.uint8)
    try:
        with archive.open(info) as src:
            pos = 0
            while chunk := src.read(_CHUNK):  # reading to the end also checks the CRC
                out[pos:pos + len(chunk)] = np.frombuffer(chunk, dtype=np.uint8)
                pos += len(chunk)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as e:
        raise _LoadError(f"storage record {record} is truncated or corrupt ({e})") from e
    return array


class _CountingWriter:
    """Forward writes to a stream and count them; having no ``seek`` makes zipfile write each
    record with a data descriptor after it, the layout of the miniz writer inside torch."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._pos = 0

    def write(self, data: Any) -> int:
        self._stream.write(data)
        n = memoryview(data).nbytes
        self._pos += n
        return n

    def tell(self) -> int:
        return self._pos

    def flush(self) -> None:
        if callable(getattr(self._stream, "flush", None)):
            self._stream.flush()


def _write_record(zf: zipfile.ZipFile, out: _CountingWriter, name: str, data: Any) -> None:
    """Add one stored record whose data starts on a 64-byte boundary, padded as torch pads."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.file_size = memoryview(data).nbytes
    zip64 = info.file_size * 1.05 > zipfile.ZIP64_LIMIT  # zipfile then adds a 20-byte extra
    start = out.tell() + 30 + len(name.encode()) + 4 + (20 if zip64 else 0)
    pad = -start % _ALIGNMENT
    info.extra = b"FB" + struct.pack("<H", pad) + b"Z" * pad
    with zf.open(info, "w", force_zip64=zip64) as dst:
        dst.write(data)
    info.extra = b""  # the padding belongs in the local header only, as torch writes it


def _write_archive(stream: IO[bytes], archive: str, data_pkl: bytes,
                   storages: list[_Storage]) -> None:
    """Write the zip records in torch's order."""
    out = _CountingWriter(stream)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
        records: list[tuple[str, Any]] = [
            ("data.pkl", data_pkl), (".format_version", b"1"),
            (".storage_alignment", str(_ALIGNMENT).encode()), ("byteorder", b"little")]
        records += [(f"data/{i}", s.array.view(np.uint8)) for i, s in enumerate(storages)]
        records += [("version", b"3\n"),
                    (".data/serialization_id", b"%040d" % (uuid.uuid4().int % 10**40))]
        for name, data in records:
            _write_record(zf, out, f"{archive}/{name}", data)
    out.flush()


def _archive_name(path: str) -> str:
    """torch's folder name inside the zip: the file name without its last extension."""
    base = path.replace("\\", "/").rsplit("/", 1)[-1]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return stem if stem and path.isascii() else "archive"  # torch streams non-ASCII paths
