"""The long tail of the torch surface: Tensor predicates, torch.accelerator, torch.backends
flags, torch.hub from a local folder, torch.multiprocessing, and ``latte run --check``."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import latte
import latte.compat
from latte.compat.checker import check_source

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = Path(__file__).parent / "scripts"




PREDICATES = ("is_xpu", "is_mps", "is_meta", "is_sparse", "is_sparse_csr", "is_quantized",
              "is_mkldnn", "is_vulkan", "is_nested", "is_cuda")


def test_tensor_predicates_and_layout_as_pytorch_on_the_cpu(torch_on_latte):
    torch = torch_on_latte
    t = torch.randn(2, 3)
    assert all(getattr(t, name) is False for name in PREDICATES)
    assert t.is_cpu and not t.is_pinned() and not t.is_shared()
    assert t.layout is torch.strided and t.layout == latte.strided
    assert repr(torch.sparse_coo) == "latte.sparse_coo" and torch.strided != torch.sparse_coo
    assert torch.channels_last is latte.channels_last


def test_predicates_agree_with_pytorch():
    code = ("import torch\nt = torch.randn(2)\n"
            f"print([getattr(t, n) for n in {PREDICATES!r}], t.is_cpu, t.layout, "
            "t.is_shared(), t.share_memory_().is_shared())\n")
    real = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    if real.returncode != 0:
        pytest.skip("PyTorch is not installed")
    ours = subprocess.run([sys.executable, "-c", "import latte.compat\n"
                           "latte.compat.install()\n" + code], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert ours.returncode == 0, ours.stderr
    assert ours.stdout.replace("latte.", "torch.") == real.stdout


def test_accelerator_and_backend_flags(torch_on_latte):
    torch = torch_on_latte
    assert torch.accelerator.is_available() is False and torch.accelerator.device_count() == 0
    assert torch.accelerator.current_accelerator() is None
    with pytest.raises(RuntimeError, match="no accelerator"):
        torch.accelerator.current_device_index()
    torch.backends.cudnn.benchmark = True
    torch.backends.cudnn.deterministic = True
    assert torch.backends.cudnn.benchmark and torch.backends.cudnn.deterministic
    assert torch.backends.mps.is_available() is False and torch.backends.mps.is_built() is False
    assert torch.backends.mkldnn.is_available() is False
    with torch.backends.cudnn.flags(enabled=False):
        pass
    assert torch.backends.opt_einsum.is_available() is False
    assert torch.backends.quantized.engine == "none"


def test_hub_load_from_a_local_folder(torch_on_latte, tmp_path):
    torch = torch_on_latte
    (tmp_path / "hubconf.py").write_text(
        "dependencies = ['torch']\n"
        "import torch.nn as nn\n"
        "from helper import width\n"
        "def tiny(out_features=2, bias=True):\n"
        "    '''A one-layer model.'''\n"
        "    return nn.Linear(width(), out_features, bias=bias)\n")
    (tmp_path / "helper.py").write_text("def width():\n    return 3\n")
    model = torch.hub.load(str(tmp_path), "tiny", 4, source="local", bias=False)
    assert isinstance(model, latte.nn.Linear) and tuple(model.weight.shape) == (4, 3)
    assert model.bias is None
    assert torch.hub.list(str(tmp_path), source="local") == ["tiny"]
    assert torch.hub.help(str(tmp_path), "tiny", source="local") == "A one-layer model."
    with pytest.raises(RuntimeError, match="Cannot find callable nope"):
        torch.hub.load(str(tmp_path), "nope", source="local")
    with pytest.raises(RuntimeError, match="source='local'"):
        torch.hub.load("pytorch/vision", "resnet18")


def test_torch_multiprocessing_is_latte_multiprocessing(torch_on_latte):
    import torch.multiprocessing as mp

    import latte.multiprocessing
    assert mp.spawn is latte.multiprocessing.spawn and mp.Queue is latte.multiprocessing.Queue
    assert mp.ProcessRaisedException is latte.multiprocessing.ProcessRaisedException


def test_torchvision_models_dict_lists_the_architectures(torch_on_latte):
    import torchvision.models as models
    names = sorted(n for n in models.__dict__ if n.islower() and not n.startswith("__")
                   and callable(models.__dict__[n]))
    assert "resnet18" in names and "vgg11" in names
    assert models.__dict__["resnet18"] is latte.vision.models.resnet18


def test_check_reports_what_latte_lacks_without_running():
    source = ("import torch\nimport torch.nn as nn\nfrom torch.utils.data import DataLoader\n"
              "from torch.not_there import thing\n"
              "raise SystemExit('the checker must not run the script')\n"
              "def f(x):\n"
              "    y = nn.functional.relu(x)\n"
              "    torch.backends.cudnn.benchmark = True\n"
              "    z = torch.missing_function(y).sum()\n"
              "    return (x.is_xpu, x.is_frobnicated_by_torch, x.int_repr,\n"
              "            history.index(3))\n")
    missing = check_source(source)
    # x.int_repr is a PyTorch Tensor method Latte lacks; history.index is a list's
    assert [(m.name, m.line) for m in missing] == [
        ("torch.not_there", 4), ("torch.missing_function", 9), ("Tensor.int_repr", 10)]
    assert "if x is a tensor" in str(missing[-1])


def test_check_command_line_over_a_corpus_script():
    env = {"PYTHONPATH": str(REPO)}
    script = SCRIPTS / "mlp_regression.py"
    result = subprocess.run([sys.executable, "-m", "latte.compat", "--check", str(script)],
                            capture_output=True, text=True, timeout=120,
                            env={**os.environ, **env})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Latte has every torch name" in result.stdout
