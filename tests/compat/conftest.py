"""Fixtures for the compatibility tests."""
from __future__ import annotations

import pytest

import latte.compat


@pytest.fixture
def torch_on_latte():
    """``import torch`` gives Latte while the test runs (the import hook of ``latte run``)."""
    latte.compat.install()
    try:
        import torch
        yield torch
    finally:
        latte.compat.uninstall()
