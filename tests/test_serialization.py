"""Tests for ``latte.save`` / ``latte.load``: round trips, PyTorch's file layout, refusals of
unsafe or damaged files, and parity with ``torch.save`` / ``torch.load`` when torch is installed."""
from __future__ import annotations

import io
import os
import pickle
import struct
import zipfile
from collections import Counter, OrderedDict

import numpy as np
import pytest

import latte
import latte.serialization as ser
from latte.backend import device
from latte.tensor import Size, Tensor

DTYPES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"]


def _array(dtype: str, shape: tuple = (3, 4)) -> np.ndarray:
    rng = np.random.default_rng(0)
    return (rng.standard_normal(shape) * 50).astype(dtype)


def _roundtrip(obj, tmp_path, name="ckpt.pt"):
    path = tmp_path / name
    latte.save(obj, path)
    return latte.load(path)


def _assert_tensor(t, expected: np.ndarray, requires_grad: bool = False) -> None:
    assert isinstance(t, Tensor)
    assert t._data.dtype == expected.dtype
    assert t._data.shape == expected.shape
    np.testing.assert_array_equal(t._data, expected)
    assert t.requires_grad is requires_grad


def _local_data_offsets(raw: bytes) -> dict[str, int]:
    """Where each record's data starts, read from the zip's local headers."""
    offsets = {}
    for info in zipfile.ZipFile(io.BytesIO(raw)).infolist():
        name_len, extra_len = struct.unpack("<HH", raw[info.header_offset + 26:
                                                       info.header_offset + 30])
        offsets[info.filename] = info.header_offset + 30 + name_len + extra_len
    return offsets


# --- handcrafted checkpoints --------------------------------------------------------------
def _s(text: str) -> bytes:
    data = text.encode()
    return b"X" + struct.pack("<I", len(data)) + data


def _ints(values) -> bytes:
    return b"(" + b"".join(b"J" + struct.pack("<i", v) for v in values) + b"t"


def _tensor_pickle(size, stride, offset=0, numel=4, location="cpu") -> bytes:
    """data.pkl of one float32 tensor, written opcode by opcode as torch writes it."""
    storage = (b"(" + _s("storage") + b"ctorch\nFloatStorage\n" + _s("0") + _s(location)
               + b"J" + struct.pack("<i", numel) + b"tQ")
    return (b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n(" + storage + b"J"
            + struct.pack("<i", offset) + _ints(size) + _ints(stride)
            + b"\x89ccollections\nOrderedDict\n)RtR.")


def _write_zip(path, data_pkl: bytes, records: dict | None = None, archive="archive") -> None:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(f"{archive}/data.pkl", data_pkl)
        for key, data in (records or {}).items():
            zf.writestr(f"{archive}/data/{key}", data)
        zf.writestr(f"{archive}/version", "3\n")


FOUR_FLOATS = np.arange(4, dtype=np.float32)


# --- latte -> latte -----------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
def test_roundtrip_dtypes(tmp_path, dtype):
    arr = _array(dtype)
    out = _roundtrip({"t": Tensor(arr)}, tmp_path)
    _assert_tensor(out["t"], arr)


@pytest.mark.parametrize("arr", [
    np.array(3.5, dtype=np.float32),                      # 0-d
    np.array(7, dtype=np.int64),                          # 0-d int
    np.zeros((0, 3), dtype=np.float32),                   # empty
    np.zeros((3, 0), dtype=np.int32),
    np.arange(24, dtype=np.float64).reshape(2, 3, 4).transpose(2, 0, 1),  # non-contiguous
    np.arange(20, dtype=np.float32)[::3],                 # strided
    np.arange(12, dtype=np.int64).reshape(3, 4)[1:, ::2],
], ids=["0d", "0d-int", "empty", "empty-last", "transposed", "strided", "sliced"])
def test_roundtrip_shapes(tmp_path, arr):
    out = _roundtrip(Tensor(arr), tmp_path)
    _assert_tensor(out, np.ascontiguousarray(arr) if arr.ndim else arr)


def test_roundtrip_keeps_requires_grad(tmp_path):
    t = Tensor(_array("float32"), requires_grad=True)
    out = _roundtrip({"w": t, "b": Tensor(_array("float32"))}, tmp_path)
    _assert_tensor(out["w"], t._data, requires_grad=True)
    assert out["b"].requires_grad is False


def test_roundtrip_nested_containers(tmp_path):
    obj = OrderedDict([
        ("model", OrderedDict([("w", Tensor(_array("float32"))), ("n", Tensor(np.array(2)))])),
        ("list", [1, -2, 300, 70000, 2**40, -(2**70), 1.5, float("inf"), None, True, False]),
        ("tuple", (1, "two", (3.0, [4]))),
        ("text", "héllo ☕"), ("empty", {}), ("empty_list", []), ("empty_tuple", ()),
        ("set", {1, 2, 3}), ("bytes", b"\x00\xffab"), ("complex", 1 - 2j),
        ("counter", Counter("aab")), ("int_keys", {0: "a", 1: "b"}),
        ("dtype", latte.float16), ("device", device("cpu")), ("size", Size([2, 3])),
    ])
    out = _roundtrip(obj, tmp_path)
    assert type(out) is OrderedDict and list(out) == list(obj)
    assert type(out["model"]) is OrderedDict
    _assert_tensor(out["model"]["w"], obj["model"]["w"]._data)
    for key in obj:
        if key != "model":
            assert out[key] == obj[key] and type(out[key]) is type(obj[key]), key
    assert out["dtype"] is latte.float16


def test_same_tensor_twice_loads_as_one(tmp_path):
    t = Tensor(_array("float32"))
    out = _roundtrip({"a": t, "b": [t]}, tmp_path)
    assert out["a"] is out["b"][0]


def test_file_objects_and_extensions(tmp_path):
    arr = _array("float32")
    buf = io.BytesIO()
    latte.save({"t": Tensor(arr)}, buf)
    buf.seek(0)
    _assert_tensor(latte.load(buf)["t"], arr)
    for name in ["a.pth", "b.tar", "c.pth.tar", "noext"]:
        _assert_tensor(_roundtrip({"t": Tensor(arr)}, tmp_path, name)["t"], arr)
    with open(tmp_path / "d.bin", "wb") as fh:
        latte.save(Tensor(arr), fh)
    with open(tmp_path / "d.bin", "rb") as fh:
        _assert_tensor(latte.load(fh), arr)


def test_load_from_unseekable_stream(tmp_path):
    class Stream:
        def __init__(self, data: bytes) -> None:
            self._buf = io.BytesIO(data)

        def read(self, n: int = -1) -> bytes:
            return self._buf.read(n)

    buf = io.BytesIO()
    latte.save({"t": Tensor(FOUR_FLOATS)}, buf)
    _assert_tensor(latte.load(Stream(buf.getvalue()))["t"], FOUR_FLOATS)


# --- the file layout ----------------------------------------------------------------------
def test_layout_matches_torch(tmp_path):
    latte.save({"a": Tensor(_array("float32")), "b": Tensor(np.array(True))}, tmp_path / "m.pt")
    raw = (tmp_path / "m.pt").read_bytes()
    zf = zipfile.ZipFile(io.BytesIO(raw))
    assert zf.namelist() == ["m/data.pkl", "m/.format_version", "m/.storage_alignment",
                             "m/byteorder", "m/data/0", "m/data/1", "m/version",
                             "m/.data/serialization_id"]
    assert all(i.compress_type == zipfile.ZIP_STORED for i in zf.infolist())
    assert zf.read("m/version") == b"3\n" and zf.read("m/byteorder") == b"little"
    assert zf.read("m/data/0") == _array("float32").astype("<f4").tobytes()
    assert all(off % 64 == 0 for off in _local_data_offsets(raw).values())
    assert b"ctorch._utils\n_rebuild_tensor_v2\n" in zf.read("m/data.pkl")
    assert b"latte" not in zf.read("m/data.pkl")


@pytest.mark.parametrize("name, folder", [("model.pt", "model"), ("ckpt.pth.tar", "ckpt.pth"),
                                          ("weights", "weights"), ("poids é.pt", "archive")])
def test_archive_folder_name(tmp_path, name, folder):
    latte.save({}, tmp_path / name)
    assert zipfile.ZipFile(tmp_path / name).namelist()[0] == f"{folder}/data.pkl"


def test_buffer_archive_folder_name():
    buf = io.BytesIO()
    latte.save({}, buf)
    assert zipfile.ZipFile(buf).namelist()[0] == "archive/data.pkl"


def test_save_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.pt"
    latte.save({"v": 1}, path)
    before = path.read_bytes()

    def broken_write(stream, *args):
        stream.write(b"PK\x03\x04 half a file")
        raise OSError("disk full")

    monkeypatch.setattr(ser, "_write_archive", broken_write)
    with pytest.raises(OSError, match="disk full"):
        latte.save({"v": 2}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ckpt.pt"]


def test_save_into_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope"):
        latte.save({}, tmp_path / "nope" / "x.pt")


@pytest.mark.parametrize("value", [np.zeros(2), np.float64(1.0), frozenset({1}), print, Tensor],
                         ids=repr)
def test_other_objects_save_and_load_only_when_trusted(tmp_path, value):
    """Like torch.save, any picklable object is saved; loading it needs weights_only=False."""
    latte.save({"x": value}, tmp_path / "x.pt")
    with pytest.raises(pickle.UnpicklingError, match="weights_only=False"):
        latte.load(tmp_path / "x.pt")
    loaded = latte.load(tmp_path / "x.pt", weights_only=False)["x"]
    if isinstance(value, np.ndarray):
        np.testing.assert_array_equal(loaded, value)
    else:
        assert loaded == value


def test_whole_model_round_trip_keeps_parameters_and_ties(tmp_path):
    model = latte.nn.Sequential(latte.nn.Embedding(5, 3), latte.nn.Linear(3, 5))
    model[1].weight = model[0].weight  # tied, as word_language_model does
    latte.save(model, tmp_path / "model.pt")
    loaded = latte.load(tmp_path / "model.pt", weights_only=False)
    assert isinstance(loaded[1].weight, latte.nn.Parameter)
    assert loaded[1].weight is loaded[0].weight
    x = latte.tensor([[0, 4]])
    assert latte.equal(loaded(x), model(x))
    with pytest.raises(pickle.UnpicklingError, match="Sequential.*state_dict"):
        latte.load(tmp_path / "model.pt")


# --- refusals and damaged files -----------------------------------------------------------
@pytest.mark.parametrize("module", ["os", "posix", "builtins", "subprocess"])
def test_refuses_code_execution(tmp_path, module):
    marker = tmp_path / "pwned"
    func = {"builtins": "exec", "subprocess": "getoutput"}.get(module, "system")
    command = f"open({str(marker)!r}, 'w')" if func == "exec" else f"touch {marker}"
    data_pkl = b"\x80\x02c" + f"{module}\n{func}\n".encode() + _s(command) + b"\x85R."
    _write_zip(tmp_path / "evil.pt", data_pkl)
    with pytest.raises(pickle.UnpicklingError, match=f"{module}.{func}.*state_dict"):
        latte.load(tmp_path / "evil.pt")
    # the same payload as a bare pickle, which the legacy reader would see
    (tmp_path / "evil.pkl").write_bytes(data_pkl)
    with pytest.raises(pickle.UnpicklingError, match=f"{module}.{func}"):
        latte.load(tmp_path / "evil.pkl")
    assert not marker.exists()


class Foreign:
    def __init__(self) -> None:
        self.x = 1


def test_refuses_foreign_class(tmp_path):
    _write_zip(tmp_path / "f.pt", pickle.dumps({"obj": Foreign()}, protocol=2))
    with pytest.raises(pickle.UnpicklingError, match="Foreign"):
        latte.load(tmp_path / "f.pt")
    assert latte.load(tmp_path / "f.pt", weights_only=False)["obj"].x == 1  # trusted file


def test_weights_only_false_still_loads_weights(tmp_path):
    latte.save({"t": Tensor(FOUR_FLOATS)}, tmp_path / "w.pt")
    _assert_tensor(latte.load(tmp_path / "w.pt", weights_only=False)["t"], FOUR_FLOATS)


def test_refuses_numpy_objects(tmp_path):
    _write_zip(tmp_path / "n.pt", pickle.dumps({"a": np.ones(2)}, protocol=2))
    with pytest.raises(pickle.UnpicklingError, match="numpy"):
        latte.load(tmp_path / "n.pt")


def test_handcrafted_tensor_loads(tmp_path):
    _write_zip(tmp_path / "t.pt", _tensor_pickle((2, 2), (1, 2)), {"0": FOUR_FLOATS.tobytes()})
    _assert_tensor(latte.load(tmp_path / "t.pt"), FOUR_FLOATS.reshape(2, 2).T.copy())


@pytest.mark.parametrize("size, stride, offset", [((5,), (1,), 0), ((2, 2), (2, 1), 1),
                                                  ((2,), (4,), 0), ((3,), (1,), 2)])
def test_refuses_tensor_outside_its_storage(tmp_path, size, stride, offset):
    records = {"0": FOUR_FLOATS.tobytes()}
    _write_zip(tmp_path / "t.pt", _tensor_pickle(size, stride, offset), records)
    with pytest.raises(RuntimeError, match="t.pt.*past its storage"):
        latte.load(tmp_path / "t.pt")


def test_refuses_storage_of_wrong_size(tmp_path):
    _write_zip(tmp_path / "t.pt", _tensor_pickle((4,), (1,)), {"0": b"\x00" * 8})
    with pytest.raises(RuntimeError, match="t.pt.*holds 8 bytes, expected 16"):
        latte.load(tmp_path / "t.pt")


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.pt"):
        latte.load(tmp_path / "missing.pt")


@pytest.mark.parametrize("content", [os.urandom(300), b"just some text\n" * 20, b""],
                         ids=["random", "text", "empty"])
def test_not_a_checkpoint(tmp_path, content):
    (tmp_path / "bad.pt").write_bytes(content)
    with pytest.raises(RuntimeError, match="bad.pt.*not a PyTorch or Latte checkpoint"):
        latte.load(tmp_path / "bad.pt")


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.99])
def test_truncated_file(tmp_path, keep):
    latte.save({"t": Tensor(_array("float32", (50, 50)))}, tmp_path / "full.pt")
    raw = (tmp_path / "full.pt").read_bytes()
    (tmp_path / "cut.pt").write_bytes(raw[:int(len(raw) * keep)])
    with pytest.raises(RuntimeError, match="cut.pt.*truncated or corrupt"):
        latte.load(tmp_path / "cut.pt")


def test_corrupt_record(tmp_path):
    latte.save({"t": Tensor(np.ones(256, np.float32))}, tmp_path / "c.pt")
    raw = bytearray((tmp_path / "c.pt").read_bytes())
    start = _local_data_offsets(bytes(raw))["c/data/0"]
    raw[start + 10] ^= 0xFF  # caught by the CRC
    (tmp_path / "c.pt").write_bytes(bytes(raw))
    with pytest.raises(RuntimeError, match="c.pt.*data/0 is truncated or corrupt"):
        latte.load(tmp_path / "c.pt")


def test_zip_that_is_not_a_checkpoint(tmp_path):
    with zipfile.ZipFile(tmp_path / "z.pt", "w") as zf:
        zf.writestr("readme.txt", "hello")
    with pytest.raises(RuntimeError, match="z.pt.*not a PyTorch checkpoint"):
        latte.load(tmp_path / "z.pt")


# --- map_location -------------------------------------------------------------------------
def _saved_on(tmp_path, location: str):
    path = tmp_path / "dev.pt"
    _write_zip(path, _tensor_pickle((4,), (1,), location=location), {"0": FOUR_FLOATS.tobytes()})
    return path


@pytest.mark.parametrize("map_location", ["cpu", device("cpu"), {"cuda:0": "cpu"},
                                          lambda storage, loc: storage,
                                          lambda storage, loc: storage.cpu()])
def test_map_location_to_cpu(tmp_path, map_location):
    _assert_tensor(latte.load(_saved_on(tmp_path, "cuda:0"), map_location=map_location),
                   FOUR_FLOATS)


def test_cuda_checkpoint_loads_on_a_machine_without_gpu(tmp_path):
    """A checkpoint saved on a GPU opens on a CPU-only machine when no location is asked for."""
    path = _saved_on(tmp_path, "cuda:0")
    for map_location in [None, {"cuda:1": "cpu"}, lambda storage, loc: None]:
        loaded = latte.load(path, map_location=map_location)
        assert loaded.device == device("cpu")
        _assert_tensor(loaded, FOUR_FLOATS)


def test_asking_for_a_missing_gpu_is_an_error(tmp_path):
    path = _saved_on(tmp_path, "cpu")
    for map_location in ["cuda:0", {"cpu": "cuda"}]:
        with pytest.raises(RuntimeError, match="CUDA device.*map_location='cpu'"):
            latte.load(path, map_location=map_location)


def test_map_location_function_that_fails(tmp_path):
    def to_gpu(storage, location):
        return storage.cuda()

    with pytest.raises(RuntimeError, match="dev.pt: map_location.*CUDA"):
        latte.load(_saved_on(tmp_path, "cpu"), map_location=to_gpu)


@pytest.mark.parametrize("map_location", ["cuda", "cuda:0", "mps", {"cpu": "cuda:0"}])
def test_map_location_to_a_missing_device(tmp_path, map_location):
    with pytest.raises(RuntimeError, match="map_location='cpu'"):
        latte.load(_saved_on(tmp_path, "cpu"), map_location=map_location)


def test_map_location_of_cpu_checkpoint(tmp_path):
    path = _saved_on(tmp_path, "cpu")
    for map_location in [None, "cpu", "cpu:0", device("cpu"), {"cuda:0": "cpu"}]:
        _assert_tensor(latte.load(path, map_location=map_location), FOUR_FLOATS)


# --- parity with PyTorch ------------------------------------------------------------------
@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
def test_torch_save_latte_load(tmp_path, legacy):
    torch = pytest.importorskip("torch")
    base = torch.arange(24.0).reshape(4, 6)
    obj = {name: torch.from_numpy(_array(name)) for name in DTYPES}
    obj.update(base=base, view=base[1:], block=base[1:, 2:], t=base.t(), col=base[:, 3],
               scalar=torch.tensor(2.5), empty=torch.zeros(0, 3), expanded=torch.ones(1).expand(3),
               param=torch.nn.Parameter(torch.ones(2)), nested=[{"k": (torch.ones(1), 2)}])
    torch.save(obj, tmp_path / "t.pt", _use_new_zipfile_serialization=not legacy)
    out = latte.load(tmp_path / "t.pt")
    for key, value in obj.items():
        if isinstance(value, torch.Tensor):
            _assert_tensor(out[key], value.detach().numpy(), requires_grad=key == "param")
    _assert_tensor(out["nested"][0]["k"][0], np.ones(1, np.float32))
    assert out["nested"][0]["k"][1] == 2
    # one storage in the file: read once, shared by the contiguous views
    assert np.shares_memory(out["base"]._data, out["view"]._data)


def test_torch_state_dict_and_optimizer(tmp_path):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.ReLU(),
                                torch.nn.Linear(4, 2))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model(torch.randn(5, 3)).sum().backward()
    opt.step()
    torch.save({"model": model.state_dict(), "optim": opt.state_dict(), "epoch": 7},
               tmp_path / "ckpt.pth")
    out = latte.load(tmp_path / "ckpt.pth", map_location="cpu")
    assert out["epoch"] == 7
    assert type(out["model"]) is OrderedDict and list(out["model"]) == list(model.state_dict())
    for key, value in model.state_dict().items():
        _assert_tensor(out["model"][key], value.numpy())
    assert out["model"]["1.num_batches_tracked"]._data.dtype == np.int64
    state, groups = out["optim"]["state"], out["optim"]["param_groups"]
    assert sorted(state) == list(range(6))
    _assert_tensor(state[0]["step"], np.array(1.0, np.float32))
    np.testing.assert_array_equal(state[0]["exp_avg"]._data,
                                  opt.state_dict()["state"][0]["exp_avg"].numpy())
    assert groups[0]["betas"] == (0.9, 0.999) and groups[0]["params"] == list(range(6))


def test_torch_whole_model_is_refused(tmp_path):
    torch = pytest.importorskip("torch")
    torch.save(torch.nn.Linear(2, 2), tmp_path / "model.pt")
    with pytest.raises(pickle.UnpicklingError, match="torch.nn.*Linear.*state_dict"):
        latte.load(tmp_path / "model.pt")


def test_torch_bfloat16_is_explained(tmp_path):
    torch = pytest.importorskip("torch")
    torch.save({"w": torch.ones(2, dtype=torch.bfloat16)}, tmp_path / "bf.pt")
    with pytest.raises(RuntimeError, match="bf.pt.*BFloat16Storage.*float()"):
        latte.load(tmp_path / "bf.pt")


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_torchscript_is_explained(tmp_path):
    torch = pytest.importorskip("torch")
    torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), tmp_path / "ts.pt")
    with pytest.raises(RuntimeError, match="TorchScript"):
        latte.load(tmp_path / "ts.pt")


@pytest.mark.parametrize("target", ["w.pt", "w.pth", "w.tar", "buffer"])
def test_latte_save_torch_load(tmp_path, target):
    torch = pytest.importorskip("torch")
    arrays = {name: _array(name) for name in DTYPES}
    arrays.update(scalar=np.array(1.5, np.float32), empty=np.zeros((0, 2), np.int64),
                  noncontig=np.arange(12.0).reshape(3, 4).T)
    obj = OrderedDict((k, Tensor(v)) for k, v in arrays.items())
    obj["grad"] = Tensor(np.ones(3, np.float32), requires_grad=True)
    obj["meta"] = {"epoch": 3, "lr": 0.1, "name": "net", "none": None, "tup": (1, [2, 3]),
                   "dtype": latte.int64, "device": device("cpu"), "size": Size([4])}
    if target == "buffer":
        f = io.BytesIO()
        latte.save(obj, f)
        f.seek(0)
    else:
        f = tmp_path / target
        latte.save(obj, f)
    out = torch.load(f, weights_only=True)
    assert type(out) is OrderedDict and list(out) == list(obj)
    for key, arr in arrays.items():
        assert out[key].dtype == getattr(torch, str(arr.dtype)), key
        assert tuple(out[key].shape) == arr.shape
        np.testing.assert_array_equal(out[key].numpy(), arr)
    assert out["grad"].requires_grad and not out["scalar"].requires_grad
    assert out["meta"] == {"epoch": 3, "lr": 0.1, "name": "net", "none": None, "tup": (1, [2, 3]),
                           "dtype": torch.int64, "device": torch.device("cpu"),
                           "size": torch.Size([4])}


def test_torch_reads_latte_files_by_offset(tmp_path, monkeypatch):
    torch = pytest.importorskip("torch")
    from torch.utils.serialization import config

    obj = {f"t{i}": Tensor(_array("float32", (i + 1, 3))) for i in range(4)}
    obj["e"] = Tensor(np.zeros(0, np.float16))
    latte.save(obj, tmp_path / "m.pt")
    # torch can mmap the file and compute each record's offset as its own writer lays them out;
    # config.patch, not monkeypatch: monkeypatch's undo leaves torch's config module broken
    monkeypatch.setenv("TORCH_SERIALIZATION_DEBUG", "1")
    with config.patch({"load.calculate_storage_offsets": True}):
        for mmap in (False, True):
            out = torch.load(tmp_path / "m.pt", mmap=mmap, weights_only=True)
            for key, t in obj.items():
                np.testing.assert_array_equal(out[key].numpy(), t._data)


def test_latte_and_torch_agree_on_bytes(tmp_path):
    torch = pytest.importorskip("torch")
    sd = OrderedDict(w=torch.arange(6.0).reshape(2, 3), b=torch.tensor(3))
    torch.save(sd, tmp_path / "t.pt")
    latte.save(latte.load(tmp_path / "t.pt"), tmp_path / "t2.pt")
    theirs, ours = zipfile.ZipFile(tmp_path / "t.pt"), zipfile.ZipFile(tmp_path / "t2.pt")
    assert theirs.namelist() == [n.replace("t2/", "t/") for n in ours.namelist()]
    for name in theirs.namelist():
        if "serialization_id" not in name:
            assert theirs.read(name) == ours.read(name.replace("t/", "t2/")), name
