"""The import hook and the PyTorch-only surface of ``latte.compat``."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

import latte
import latte.compat
from latte.compat import torch_surface


def test_modules_map_to_latte(torch_on_latte):
    torch = torch_on_latte
    import torch.nn as nn
    import torch.nn.functional as F
    import torch.optim.lr_scheduler as sched
    import torch.utils.data as tud
    import torchvision.transforms as T
    from torchvision import datasets, utils
    assert torch.Tensor is latte.Tensor and nn.Module is latte.nn.Module
    assert F.relu is latte.nn.functional.relu and sched.StepLR is latte.optim.lr_scheduler.StepLR
    assert tud.DataLoader is latte.utils.data.DataLoader
    assert torch.float32 is latte.float32 and torch.device is latte.device
    from latte.vision import datasets as ld
    from latte.vision import transforms as lt
    from latte.vision import utils as lu
    assert T.ToTensor is lt.ToTensor and datasets.MNIST is ld.MNIST
    assert utils.make_grid is lu.make_grid
    assert isinstance(nn.Linear(2, 3)(torch.randn(4, 2)), torch.Tensor)
    assert torch.nn.functional.relu is F.relu  # attribute chains without an import


def test_missing_attribute_names_the_pytorch_api(torch_on_latte):
    torch = torch_on_latte
    with pytest.raises(AttributeError, match=r"Latte does not have torch\.fft_magic yet"):
        _ = torch.fft_magic
    with pytest.raises(AttributeError, match=r"torch\.nn\.Transformerish"):
        _ = torch.nn.Transformerish
    with pytest.raises(AttributeError, match=r"torchvision\.models\.swin_v2_b"):
        import torchvision.models
        _ = torchvision.models.swin_v2_b
    assert not hasattr(torch, "fft_magic")


def test_missing_module_names_the_pytorch_module(torch_on_latte):
    with pytest.raises(ModuleNotFoundError, match=r"Latte does not have torch\._dynamo yet"):
        import torch._dynamo  # noqa: F401


def test_uninstall_restores_previous_modules():
    # a real torch imported earlier in the session must survive: re-importing it would crash
    previous = sys.modules.get("torch")
    sentinel = type(sys)("torch")
    sys.modules["torch"] = sentinel
    try:
        latte.compat.install()
        import torch
        assert torch is not sentinel and torch.Tensor is latte.Tensor
        latte.compat.uninstall()
        assert sys.modules["torch"] is sentinel
        assert not latte.compat.installed()
    finally:
        latte.compat.uninstall()
        if previous is None:
            del sys.modules["torch"]
        else:
            sys.modules["torch"] = previous


def test_surface_flags_and_inert_amp(torch_on_latte):
    torch = torch_on_latte
    model = torch.nn.Linear(3, 1)
    assert torch.compile(model) is model
    assert torch.compile(mode="max-autotune")(model) is model
    assert torch.cuda.is_available() is False and torch.backends.mps.is_available() is False
    assert torch.accelerator.is_available() is False
    torch.backends.cudnn.benchmark = True
    assert torch.backends.cudnn.benchmark is True
    previous = torch.get_num_threads()
    torch.set_num_threads(3)
    assert torch.get_num_threads() == 3
    torch.set_num_threads(previous)
    x = torch.ones(2, 3)
    scaler = torch.amp.GradScaler("cuda")
    with torch.autocast("cpu", dtype=torch.float16):
        loss = model(x).sum()
    assert loss.dtype == torch.float32
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    before = model.weight.detach().clone()
    scaler.scale(loss).backward()
    scaler.step(opt)
    scaler.update()
    assert not torch.equal(before, model.weight) and scaler.get_scale() == 1.0
    with torch.cuda.amp.autocast():
        pass
    with pytest.raises(RuntimeError, match="no CUDA GPU"):
        torch.cuda.get_device_name(0)
    assert torch.jit.script(model) is model and torch.jit.trace(model, x) is model
    with pytest.raises(RuntimeError, match="TorchScript"):
        torch.jit.save(model, "m.pt")
    assert torch.__version__.startswith("2.") and torch.version.cuda is None


def test_save_whole_model_loads_only_when_trusted(tmp_path, torch_on_latte):
    torch = torch_on_latte
    model = torch.nn.Linear(2, 2)
    with open(tmp_path / "m.pt", "wb") as f:  # word_language_model's way
        torch.save(model, f)
    with pytest.raises(Exception, match=r"state_dict\(\).*weights_only=False"):
        torch.load(tmp_path / "m.pt")
    with open(tmp_path / "m.pt", "rb") as f:
        again = torch.load(f, weights_only=False)
    assert torch.equal(again.weight, model.weight) and again.weight.requires_grad
    torch.save(model.state_dict(), tmp_path / "ok.pt")
    loaded = torch.load(tmp_path / "ok.pt", map_location="cpu", weights_only=False)
    assert torch.equal(loaded["weight"], model.weight)


def test_fake_data_is_deterministic():
    ds = torch_surface.FakeData(size=4, image_size=(3, 5, 6), num_classes=3)
    img, label = ds[2]
    again, label2 = ds[2]
    img, again = np.asarray(img), np.asarray(again)  # PIL images, as torchvision's
    assert img.shape == (5, 6, 3) and (img == again).all() and label == label2
    from latte.vision import transforms as T  # dcgan's pipeline reads them as images
    pipeline = T.Compose([T.Resize(8), T.CenterCrop(8), T.ToTensor(), T.Normalize((0.5,) * 3,
                                                                                 (0.5,) * 3)])
    ds = torch_surface.FakeData(size=2, image_size=(3, 16, 16), transform=pipeline)
    assert tuple(ds[0][0].shape) == (3, 8, 8)
    with pytest.raises(IndexError, match="out of range"):
        ds[4]


def test_runner_sets_argv_main_and_exit_code(tmp_path):
    script = tmp_path / "s.py"
    script.write_text(textwrap.dedent("""
        import sys, torch
        assert __name__ == "__main__"
        print("args", sys.argv[1:], torch.Tensor.__module__)
        sys.exit(3)
    """))
    res = subprocess.run([sys.executable, "-m", "latte.compat", str(script), "--x", "1"],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 3, res.stderr
    assert "args ['--x', '1'] latte.tensor" in res.stdout
    from latte.compat.runner import main
    assert main([str(tmp_path / "missing.py")]) == 2
    assert "torch" not in sys.modules or not isinstance(sys.modules["torch"],
                                                         latte.compat.ProxyModule)


def test_legacy_tensor_types_variable_and_printoptions(torch_on_latte):
    torch = torch_on_latte
    from torch.autograd import Variable
    x = torch.FloatTensor([1, 2])
    assert x.dtype == torch.float32 and isinstance(x, torch.FloatTensor)
    assert not isinstance(x, torch.LongTensor) and isinstance(torch.arange(3), torch.LongTensor)
    assert torch.LongTensor(2, 3).shape == (2, 3)
    v = Variable(x, requires_grad=True)
    assert v is x and v.requires_grad and isinstance(v, Variable)
    torch.set_printoptions(precision=2)
    try:
        assert repr(torch.tensor([1.23456])) == "tensor([1.23])"
    finally:
        torch.set_printoptions(profile="default")
    assert repr(torch.tensor([1.23456])) == "tensor([1.2346])"
    assert torch.set_printoptions is latte.set_printoptions  # the core's, not a copy in compat


def test_hub_gives_a_progress_bar_even_without_tqdm():
    # vision_transformer imports its progress bar with `from torch.hub import tqdm`
    assert callable(torch_surface._hub()["tqdm"])
    bar = torch_surface._PlainProgress([1, 2, 3], desc="x")
    bar.set_postfix({"Loss": "1.0"})
    assert list(bar) == [1, 2, 3] and len(bar) == 3


def test_torch_testing_and_the_long_tail_names_come_from_the_core(torch_on_latte):
    torch = torch_on_latte
    from torch.testing import assert_close, make_tensor
    x = make_tensor(2, 3, dtype=torch.float32, device="cpu")
    assert_close(x, x.clone())
    with pytest.raises(AssertionError, match="Tensor-likes are not close"):
        assert_close(torch.tensor([1.0]), torch.tensor([2.0]))
    assert torch.testing.assert_close is latte.testing.assert_close
    assert torch.use_deterministic_algorithms is latte.use_deterministic_algorithms
    assert torch.get_float32_matmul_precision is latte.get_float32_matmul_precision
    assert torch.finfo(torch.float32).eps == latte.finfo(latte.float32).eps
