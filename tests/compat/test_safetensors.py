"""``latte.safetensors``: round trips, format errors, and weights exchanged with PyTorch."""
from __future__ import annotations

import json
import struct

import numpy as np
import pytest

import latte
from latte.safetensors import load_file, metadata, save_file


def test_round_trip_dtypes_and_metadata(tmp_path):
    tensors = {"f": latte.randn(3, 4), "d": latte.randn(2, dtype=latte.float64),
               "h": latte.randn(5).half(), "i": latte.arange(6).reshape(2, 3),
               "b": latte.tensor([True, False]), "u": latte.tensor([1, 255], dtype=latte.uint8),
               "s": latte.tensor(2.5), "e": latte.zeros(0, 3)}
    path = tmp_path / "t.safetensors"
    save_file(tensors, path, metadata={"format": "pt"})
    back = load_file(path)
    assert list(back) == list(tensors) and metadata(path) == {"format": "pt"}
    for k, t in tensors.items():
        assert back[k].dtype == t.dtype and back[k].shape == t.shape
        np.testing.assert_array_equal(back[k].numpy(), t.numpy())
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    assert (8 + n) % 8 == 0 and json.loads(raw[8:8 + n])["f"]["dtype"] == "F32"


def test_bad_files_raise_clearly(tmp_path):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(b"\x05")
    with pytest.raises(ValueError, match="not a safetensors file"):
        load_file(path)
    head = json.dumps({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 8]}}).encode()
    path.write_bytes(struct.pack("<Q", len(head)) + head + b"\0" * 8)
    with pytest.raises(ValueError, match=r"'w' of shape \[4\]"):
        load_file(path)
    with pytest.raises(FileNotFoundError, match="missing"):
        load_file(tmp_path / "missing.safetensors")
    with pytest.raises(TypeError, match="'x' is a list"):
        save_file({"x": [1, 2]}, path)


def _net(lib):
    return lib.nn.Sequential(lib.nn.Conv2d(1, 4, 3), lib.nn.BatchNorm2d(4), lib.nn.ReLU(),
                             lib.nn.Flatten(), lib.nn.Linear(4 * 4 * 4, 3))


def test_module_state_dict_round_trip(tmp_path):
    a, b = _net(latte), _net(latte)
    save_file(a.state_dict(), tmp_path / "m.safetensors")
    b.load_state_dict(load_file(tmp_path / "m.safetensors"))
    x = latte.randn(2, 1, 6, 6)
    a.eval(), b.eval()
    np.testing.assert_array_equal(a(x).detach().numpy(), b(x).detach().numpy())


def _train_torch(torch):
    torch.manual_seed(0)
    model = _net(torch)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x = torch.randn(8, 1, 6, 6)
    for _ in range(3):
        opt.zero_grad()
        model(x).pow(2).mean().backward()
        opt.step()
    return model.eval()


@pytest.mark.parametrize("suffix", [".pt", ".pth", ".safetensors"])
def test_pytorch_trained_model_loads_into_latte_and_back(tmp_path, suffix):
    torch = pytest.importorskip("torch")
    model = _train_torch(torch)
    path = tmp_path / f"model{suffix}"
    if suffix == ".safetensors":
        st = pytest.importorskip("safetensors.torch")
        st.save_file(model.state_dict(), path)
    else:
        torch.save(model.state_dict(), path)
    ours = _net(latte).eval()
    state = load_file(path) if suffix == ".safetensors" else latte.load(path)
    ours.load_state_dict(state)
    x = np.random.RandomState(0).standard_normal((4, 1, 6, 6)).astype(np.float32)
    expected = model(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(ours(latte.tensor(x)).detach().numpy(), expected,
                               rtol=1e-5, atol=1e-6)

    back_path = tmp_path / f"back{suffix}"  # and back: Latte writes, PyTorch reads
    if suffix == ".safetensors":
        save_file(ours.state_dict(), back_path)
        state_t = st.load_file(back_path)
    else:
        latte.save(ours.state_dict(), back_path)
        state_t = torch.load(back_path, weights_only=True)
    again = _net(torch).eval()
    again.load_state_dict(state_t)
    np.testing.assert_allclose(again(torch.from_numpy(x)).detach().numpy(), expected,
                               rtol=1e-6, atol=1e-7)


def test_our_writer_matches_reference_reader(tmp_path):
    st = pytest.importorskip("safetensors.numpy")
    save_file({"a": latte.arange(6.0).reshape(2, 3), "b": latte.tensor([1, 2])},
              tmp_path / "x.safetensors", metadata={"k": "v"})
    ref = st.load_file(tmp_path / "x.safetensors")
    np.testing.assert_array_equal(ref["a"], np.arange(6.0, dtype=np.float32).reshape(2, 3))
    st.save_file({"c": np.ones((2, 2), np.float16)}, tmp_path / "y.safetensors")
    assert load_file(tmp_path / "y.safetensors")["c"].dtype == latte.float16


def test_pickled_pytorch_model_is_refused(tmp_path):
    torch = pytest.importorskip("torch")
    torch.save(torch.nn.Linear(2, 2), tmp_path / "whole.pt")
    with pytest.raises(Exception, match=r"whole model.*state_dict\(\)"):
        latte.load(tmp_path / "whole.pt")
