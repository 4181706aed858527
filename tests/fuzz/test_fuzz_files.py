"""Fuzz the file readers over mutated real files: ``latte.load`` (a checkpoint of a model with
optimizer state), ``latte.safetensors.load_file``, IDX (MNIST) files, a CIFAR python batch and
an ImageFolder with an unreadable image.

Mutations: bit flips, truncation at every section boundary (zip records, pickle opcodes, header
lengths), overwritten length and offset fields, huge declared sizes, duplicated zip entries.
The property: the reader returns, or raises a ``RuntimeError``/``ValueError`` (``pickle``'s
``UnpicklingError`` included) whose message names the file; it never crashes with another
exception, never allocates much more than the file's size, never runs pickled code.
"""
from __future__ import annotations

import os
import pickle
import pickletools
import re
import struct
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import latte
from latte import nn, safetensors
from latte.vision.datasets._idx import read_idx, write_idx
from latte.vision.datasets.cifar import load_pickle

PROFILE = settings.get_profile("fuzz-long" if os.environ.get("LATTE_FUZZ") == "long"
                               else "fuzz-ci")
# a reader stuck on a forged length fails its test instead of stalling CI
pytestmark = pytest.mark.timeout(600 if os.environ.get("LATTE_FUZZ") == "long" else 60,
                                 method="thread")
CLEAR = (RuntimeError, ValueError, pickle.UnpicklingError)
SLACK = 4 << 20  # bytes any load may allocate beside a few times the file (imports, caches)


# --- the real files -----------------------------------------------------------------------------
def _checkpoint(path: Path) -> None:
    latte.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    opt = latte.optim.Adam(model.parameters(), lr=0.1)
    model(latte.randn(5, 4)).sum().backward()
    opt.step()
    latte.save({"model": model.state_dict(), "optim": opt.state_dict(), "epoch": 3}, path)


def _safetensors(path: Path) -> None:
    safetensors.save_file({"w": latte.arange(12.0).reshape(3, 4),
                           "b": latte.ones(5, dtype=latte.int64)}, path)


def _idx(path: Path) -> None:
    write_idx(path, np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4), compress=False)


def _cifar(path: Path) -> None:
    batch = {b"data": np.zeros((2, 3072), dtype=np.uint8), b"labels": [1, 7],
             b"batch_label": b"testing batch 1 of 1"}
    path.write_bytes(pickle.dumps(batch, protocol=2))


def _load_checkpoint(path: Path):
    return latte.load(path)


def _load_cifar(path: Path):
    return load_pickle(path)


FORMATS = {  # name: (writer, reader)
    "checkpoint": (_checkpoint, _load_checkpoint),
    "safetensors": (_safetensors, safetensors.load_file),
    "idx": (_idx, read_idx),
    "cifar": (_cifar, _load_cifar),
}


@pytest.fixture(scope="module")
def originals(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("originals")
    out = {}
    for name, (write, _) in FORMATS.items():
        write(folder / name)
        out[name] = (folder / name).read_bytes()
    return out


def _reads_or_fails_clearly(reader, path: Path) -> None:
    """The property for one mutated file (see the module docstring)."""
    size = path.stat().st_size
    tracemalloc.start()
    try:
        reader(path)
    except CLEAR as e:
        assert str(path) in str(e), f"the error does not name the file: {type(e).__name__}: {e}"
    except Exception as e:  # noqa: BLE001 - anything else is the bug this test looks for
        raise AssertionError(f"{type(e).__name__} (not a clear error) reading {path}: {e}") from e
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peak < 8 * size + SLACK, f"{peak} bytes allocated reading a file of {size}"


# --- section boundaries -------------------------------------------------------------------------
def _boundaries(name: str, data: bytes) -> list[int]:
    """Offsets where one section of the file ends and the next begins."""
    cuts = {0, 1, len(data) - 1}
    if name == "checkpoint":
        with zipfile.ZipFile(_BytesPath(data)) as z:
            for info in z.infolist():
                start = info.header_offset
                data_at = start + 30 + len(info.filename) + len(info.extra)
                cuts |= {start, start + 30, data_at, data_at + info.compress_size}
                if info.filename.endswith("data.pkl"):
                    pkl = z.read(info)
                    cuts |= {data_at + pos for _, _, pos in pickletools.genops(pkl)}
        cuts.add(data.rfind(b"PK\x05\x06"))  # end of central directory
        cuts.add(data.rfind(b"PK\x01\x02"))
    elif name == "safetensors":
        (n,) = struct.unpack("<Q", data[:8])
        cuts |= {4, 8, 8 + n // 2, 8 + n, 8 + n + 48}
    elif name == "idx":
        cuts |= {2, 4, 8, 12, 16, len(data) // 2}
    else:
        cuts |= {pos for _, _, pos in pickletools.genops(data)}
    return sorted(c for c in cuts if 0 <= c < len(data))


class _BytesPath:
    """Just enough of a file for zipfile over bytes."""

    def __new__(cls, data: bytes):
        import io
        return io.BytesIO(data)


@pytest.mark.parametrize("name", list(FORMATS))
def test_truncated_at_every_boundary(name, originals, tmp_path):
    data, reader = originals[name], FORMATS[name][1]
    cuts = _boundaries(name, data)
    assert len(cuts) > 5
    for cut in cuts:
        path = tmp_path / f"{name}-cut{cut}"
        path.write_bytes(data[:cut])
        _reads_or_fails_clearly(reader, path)
        if cut < len(data) // 2:  # a file cut short of its payload cannot load
            with pytest.raises(CLEAR):
                reader(path)


# --- random mutations -----------------------------------------------------------------------------
def _mutate(data: bytes, kind: str, at: int, value: int) -> bytes:
    buf = bytearray(data)
    at %= len(buf)
    if kind == "flip":
        buf[at] ^= 1 << (value % 8)
    elif kind == "byte":
        buf[at] = value % 256
    elif kind == "u32":  # a length or offset field overwritten, often huge
        buf[at:at + 4] = struct.pack("<I", value % 2 ** 32)
    elif kind == "u64":
        buf[at:at + 8] = struct.pack("<Q", value % 2 ** 64)
    elif kind == "cut":
        del buf[at:]
    elif kind == "splice":  # a span repeated: offsets after it all shift
        buf[at:at] = buf[at:at + value % 64]
    return bytes(buf)


@pytest.mark.parametrize("name", list(FORMATS))
def test_mutated_files(name, originals, tmp_path):
    data, reader = originals[name], FORMATS[name][1]

    @PROFILE
    @given(kind=st.sampled_from(["flip", "byte", "u32", "u64", "cut", "splice"]),
           at=st.integers(0, len(data) - 1),
           value=st.one_of(st.integers(0, 2 ** 64 - 1), st.just(2 ** 32 - 1),
                           st.just(2 ** 63)))
    def run(kind, at, value):
        path = tmp_path / f"{name}-mutated"
        path.write_bytes(_mutate(data, kind, at, value))
        _reads_or_fails_clearly(reader, path)
    run()


# --- declared sizes and specific corruptions ----------------------------------------------------
def test_huge_declared_sizes_do_not_allocate(tmp_path):
    cases = {
        "safetensors-header": struct.pack("<Q", 2 ** 62) + b"{}",
        "safetensors-shape": _safetensors_with({"w": {"dtype": "F32", "shape": [2 ** 31, 2 ** 31],
                                                      "data_offsets": [0, 16]}}),
        "safetensors-offsets": _safetensors_with({"w": {"dtype": "F32", "shape": [4],
                                                        "data_offsets": [0, 2 ** 62]}}),
        "idx": bytes([0, 0, 8, 3]) + struct.pack(">III", 2 ** 20, 2 ** 20, 2 ** 20) + b"\0" * 8,
    }
    readers = {"safetensors": safetensors.load_file, "idx": read_idx}
    for label, blob in cases.items():
        path = tmp_path / label
        path.write_bytes(blob)
        with pytest.raises(CLEAR, match="does not fit|truncated|not a safetensors"):
            _reads_or_fails_clearly(readers[label.split("-")[0]], path)
            readers[label.split("-")[0]](path)


def _safetensors_with(header: dict) -> bytes:
    import json
    head = json.dumps(header).encode()
    return struct.pack("<Q", len(head)) + head + b"\0" * 16


def test_checkpoint_with_huge_storage_does_not_allocate(tmp_path, originals):
    """A storage whose declared element count is huge, in an otherwise valid checkpoint."""
    path = tmp_path / "huge.pt"
    latte.save({"w": latte.ones(3)}, path)
    with zipfile.ZipFile(path) as z:
        records = {i.filename: z.read(i) for i in z.infolist()}
    pkl_name = next(n for n in records if n.endswith("data.pkl"))
    # the storage numel is pickled as BININT1 3 after the location string 'cpu' (and its memo)
    records[pkl_name] = re.sub(rb"(cpuq.)K\x03", lambda m: m.group(1) + b"J\xff\xff\xff\x7f",
                               records[pkl_name])
    assert b"J\xff\xff\xff\x7f" in records[pkl_name]
    _rewrite(path, records)
    with pytest.raises(CLEAR):
        _reads_or_fails_clearly(_load_checkpoint, path)
        latte.load(path)


def _rewrite(path: Path, records: dict, duplicate: str | None = None) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for name, blob in records.items():
            z.writestr(name, blob)
        if duplicate is not None:
            import warnings
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # zipfile warns about the duplicate name
                z.writestr(duplicate, records[duplicate][:-3] + b"junk")


def test_duplicated_zip_entry_is_refused(tmp_path):
    path = tmp_path / "dup.pt"
    latte.save({"w": latte.ones(3)}, path)
    with zipfile.ZipFile(path) as z:
        records = {i.filename: z.read(i) for i in z.infolist()}
    for name in records:
        _rewrite(path, records, duplicate=name)
        with pytest.raises(RuntimeError, match="duplicate") as info:
            latte.load(path)
        assert str(path) in str(info.value)


class _Shell:
    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_pickle_calling_os_system_is_refused(tmp_path):
    marker = tmp_path / "ran"
    shell = _Shell()
    shell.marker = marker
    payload = pickle.dumps({"w": shell}, protocol=2)
    path = tmp_path / "evil.pt"
    latte.save({"w": latte.ones(1)}, path)
    with zipfile.ZipFile(path) as z:
        records = {i.filename: z.read(i) for i in z.infolist()}
    records[next(n for n in records if n.endswith("data.pkl"))] = payload
    _rewrite(path, records)
    cifar = tmp_path / "evil_batch"
    cifar.write_bytes(payload)
    with pytest.raises(pickle.UnpicklingError, match="system"):
        latte.load(path)
    with pytest.raises(RuntimeError, match="system"):
        load_pickle(cifar)
    assert not marker.exists()


# --- state dicts and image folders ----------------------------------------------------------------
def test_failed_load_state_dict_leaves_the_model_unchanged():
    latte.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.Linear(3, 2))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    good = {k: v + 1 for k, v in before.items()}
    bad_shape = dict(good, **{"2.weight": latte.zeros(5, 5)})
    bad_key = dict(good, unexpected=latte.zeros(1))
    missing = {k: v for k, v in good.items() if k != "1.running_mean"}
    for bad in (bad_shape, bad_key, missing):
        with pytest.raises(RuntimeError):
            model.load_state_dict(bad)
        for k, v in model.state_dict().items():
            np.testing.assert_array_equal(v.numpy(), before[k].numpy(), err_msg=k)


def test_image_folder_unreadable_image_names_the_file(tmp_path):
    pytest.importorskip("PIL")
    from PIL import Image

    from latte.vision.datasets import ImageFolder
    for cls in ("cat", "dog"):
        (tmp_path / cls).mkdir()
        Image.new("RGB", (4, 4), (10, 20, 30)).save(tmp_path / cls / "ok.png")
    bad = tmp_path / "dog" / "broken.png"
    good = (tmp_path / "cat" / "ok.png").read_bytes()
    bad.write_bytes(good[: len(good) // 2])
    ds = ImageFolder(str(tmp_path))
    index = [p for p, _ in ds.samples].index(str(bad))
    assert ds[1 - index if index < 2 else 0][0].size == (4, 4)
    with pytest.raises(Exception) as info:
        ds[index]
    assert str(bad) in str(info.value)
