"""Data and checkpoints with the stand-in GPU: DataLoader batches moved to (or gathered on) the
GPU, GPU checkpoints saved with their location and loaded with or without a GPU (and by
PyTorch), safetensors of GPU tensors."""
from __future__ import annotations

import io
import pickle
import warnings
import zipfile

import numpy as np
import pytest

import latte
from latte import backend, nn
from latte.safetensors import load_file, save_file
from latte.utils.data import DataLoader, Dataset, TensorDataset, default_collate


def _host(t):
    return backend.to_device(t._data, backend.cpu)


class _Dicts(Dataset):
    """Samples as dicts of a host tensor and a number (a typical custom dataset)."""

    def __init__(self, n: int) -> None:
        self.x = np.arange(n * 3, dtype=np.float32).reshape(n, 3)

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> dict:
        return {"x": latte.tensor(self.x[i]), "y": i % 2}


class _OnDevice(Dataset):
    """Samples already on a GPU, one tensor each (collated by stacking, not gathering)."""

    def __init__(self, data: latte.Tensor) -> None:
        self.data = data

    def __len__(self) -> int:
        return self.data.shape[0]

    def __getitem__(self, i: int) -> latte.Tensor:
        return self.data[i]


# --- data ------------------------------------------------------------------------------------
def test_host_batches_move_to_the_gpu(gpu):
    x, y = np.arange(20.0).reshape(10, 2), np.arange(10)
    loader = DataLoader(TensorDataset(latte.tensor(x), latte.tensor(y)), batch_size=4,
                        pin_memory=True)
    seen = 0
    for xb, yb in loader:
        xb, yb = xb.to("cuda"), yb.to("cuda", non_blocking=True)
        assert xb.is_cuda and yb.is_cuda
        np.testing.assert_array_equal(_host(xb), x[seen:seen + len(yb)])
        seen += len(yb)
    assert seen == 10
    batch = next(iter(DataLoader(_Dicts(6), batch_size=3)))
    on_gpu = {k: v.to("cuda:1") for k, v in batch.items()}
    assert all(v.device == latte.device("cuda:1") for v in on_gpu.values())
    np.testing.assert_array_equal(_host(on_gpu["x"]), np.arange(9.0).reshape(3, 3))
    np.testing.assert_array_equal(_host(on_gpu["y"]), [0, 1, 0])


def test_pin_memory_is_quiet_when_there_is_a_gpu(gpu):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        DataLoader(TensorDataset(latte.zeros(4, 2)), batch_size=2, pin_memory=True)


@pytest.mark.parametrize("device", ["cuda:0", "cuda:1"])
def test_dataset_on_the_gpu_gives_gpu_batches(gpu, device):
    x = np.random.default_rng(0).standard_normal((10, 3))
    ds = TensorDataset(latte.tensor(x, device=device), latte.arange(10, device=device))
    gpu.strict_current = device == "cuda:1"
    before = gpu.transfers["to_host"]
    batches = list(DataLoader(ds, batch_size=4, shuffle=True,
                              generator=latte.Generator().manual_seed(0)))
    gpu.strict_current = False
    assert gpu.transfers["to_host"] == before
    rows = []
    for xb, yb in batches:
        assert xb.device == yb.device == latte.device(device)
        np.testing.assert_array_equal(_host(xb), x[_host(yb)])
        rows.extend(_host(yb).tolist())
    assert sorted(rows) == list(range(10))


@pytest.mark.parametrize("device", ["cuda:0", "cuda:1"])
def test_collate_of_gpu_samples_stacks_on_the_gpu(gpu, device):
    x = np.arange(12.0).reshape(4, 3)
    data = latte.tensor(x, device=device)
    gpu.strict_current = device == "cuda:1"
    before = dict(gpu.transfers)
    batch = default_collate([data[i] for i in range(4)])
    (loaded,) = DataLoader(_OnDevice(data), batch_size=4)
    gpu.strict_current = False
    assert gpu.transfers == before
    for b in (batch, loaded):
        assert b.device == latte.device(device)
        np.testing.assert_array_equal(_host(b), x)


def test_collate_refuses_mixed_devices(gpu):
    with pytest.raises((RuntimeError, TypeError, ValueError)):
        default_collate([latte.zeros(2, device="cuda"), latte.zeros(2)])


# --- checkpoints -----------------------------------------------------------------------------
def _model():
    latte.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))


def _saved_gpu_model(tmp_path):
    cpu_state = {k: v.detach().clone() for k, v in _model().state_dict().items()}
    model = _model().to("cuda")
    path = tmp_path / "gpu.pt"
    latte.save(model.state_dict(), path)
    return path, cpu_state


def _assert_state(loaded, want, device):
    assert list(loaded) == list(want)
    for k, v in loaded.items():
        assert v.device == latte.device(device), k
        np.testing.assert_array_equal(_host(v), _host(want[k]))
        assert v.dtype == want[k].dtype


def test_gpu_checkpoint_records_its_location(gpu, tmp_path):
    path, _ = _saved_gpu_model(tmp_path)
    with zipfile.ZipFile(path) as zf:
        data = zf.read(next(n for n in zf.namelist() if n.endswith("data.pkl")))
    locations = []

    class _Record(dict):  # takes items and attributes (a state_dict's _metadata)
        pass

    class _Reader(pickle.Unpickler):
        def find_class(self, module, name):  # only the storages' records matter here
            return lambda *args, **kwargs: _Record()

        def persistent_load(self, pid):
            locations.append(pid[3])

    _Reader(io.BytesIO(data)).load()
    assert locations and set(locations) == {"cuda:0"}


def test_gpu_checkpoint_loads_back_on_the_gpu(gpu, tmp_path):
    path, want = _saved_gpu_model(tmp_path)
    _assert_state(latte.load(path), want, "cuda:0")
    _assert_state(latte.load(path, map_location="cpu"), want, "cpu")
    _assert_state(latte.load(path, map_location="cuda:1"), want, "cuda:1")
    _assert_state(latte.load(path, map_location={"cuda:0": "cuda:1"}), want, "cuda:1")
    model = _model().to("cuda:1")
    model.load_state_dict(latte.load(path))  # cuda:0 values copied into cuda:1 parameters
    assert all(p.device == latte.device("cuda:1") for p in model.parameters())
    _assert_state(model.state_dict(), want, "cuda:1")


def test_gpu_checkpoint_loads_on_the_cpu_without_a_gpu(gpu, tmp_path):
    path, want = _saved_gpu_model(tmp_path)
    backend.set_cuda_backend(None)  # a machine with no GPU (the fixture restores the stand-in)
    loaded = latte.load(path)
    _assert_state(loaded, want, "cpu")
    assert all(type(v._data) is np.ndarray for v in loaded.values())
    model = _model()
    model.load_state_dict(loaded)
    _assert_state(model.state_dict(), want, "cpu")


def test_torch_loads_a_latte_gpu_checkpoint(gpu, tmp_path):
    torch = pytest.importorskip("torch")
    path, want = _saved_gpu_model(tmp_path)
    loaded = torch.load(path, map_location="cpu", weights_only=True)
    assert list(loaded) == list(want)
    for k, v in loaded.items():
        assert v.device.type == "cpu"
        np.testing.assert_array_equal(v.numpy(), _host(want[k]))


def test_gpu_optimizer_checkpoint_in_torch_layout(gpu, tmp_path):
    torch = pytest.importorskip("torch")
    model = _model().to("cuda")
    opt = latte.optim.Adam(model.parameters(), lr=0.1)
    model(latte.ones(2, 3, device="cuda")).sum().backward()
    opt.step()
    latte.save(opt.state_dict(), tmp_path / "opt.pt")
    loaded = torch.load(tmp_path / "opt.pt", map_location="cpu", weights_only=True)
    state = loaded["state"][0]
    np.testing.assert_array_equal(state["exp_avg"].numpy(),
                                  _host(opt.state[model[0].weight]["exp_avg"]))
    assert float(state["step"]) == 1.0


# --- safetensors -----------------------------------------------------------------------------
def test_safetensors_of_gpu_tensors(gpu, tmp_path):
    model = _model().to("cuda")
    state = model.state_dict()
    before = gpu.transfers["to_host"]
    save_file(state, tmp_path / "m.safetensors")
    if gpu.name == "stand-in":  # one explicit copy per tensor
        assert gpu.transfers["to_host"] - before == len(state)
    host = load_file(tmp_path / "m.safetensors")
    _assert_state(host, state, "cpu")
    _assert_state(load_file(tmp_path / "m.safetensors", device="cuda:1"), state, "cuda:1")
    _assert_state(load_file(tmp_path / "m.safetensors", device=0), state, "cuda:0")


def test_safetensors_device_without_a_gpu(gpu, tmp_path):
    save_file({"w": latte.ones(2)}, tmp_path / "w.safetensors")
    backend.set_cuda_backend(None)
    with pytest.raises(RuntimeError, match="cuda"):
        load_file(tmp_path / "w.safetensors", device="cuda")
