"""Under ``latte run`` (the compat layer), ``torch.cuda`` sees a GPU when there is one."""
from __future__ import annotations

import pytest

import latte
from latte.compat.torch_surface import surface


def test_torch_cuda_surface_sees_the_gpu(gpu):
    cuda = surface("torch.cuda")
    assert cuda["is_available"]() is True and cuda["device_count"]() == latte.cuda.device_count()
    assert cuda["current_device"]() == 0
    assert "GPU" in cuda["get_device_name"](0)


def test_torch_cuda_surface_without_gpu_says_no():
    if latte.cuda.is_available():
        pytest.skip("this machine has a GPU")
    cuda = surface("torch.cuda")
    assert cuda["is_available"]() is False and cuda["device_count"]() == 0
