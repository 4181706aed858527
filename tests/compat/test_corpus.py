"""Each corpus script runs under ``python -m latte.compat`` and matches real PyTorch's numbers."""
from __future__ import annotations

import pytest
from _compat_corpus import (
    CORPUS,
    TOLERANCE,
    make_data_root,
    mnist_available,
    run_case,
    torch_available,
)


@pytest.fixture(scope="module")
def data_root(tmp_path_factory):
    return make_data_root(tmp_path_factory.mktemp("compat") / "data")


@pytest.mark.parametrize("case", CORPUS, ids=[c.script for c in CORPUS])
def test_script_runs_and_matches_pytorch(case, data_root):
    if case.needs_mnist and not mnist_available(data_root):
        pytest.skip("the shared MNIST files are not present")
    result = run_case(case, data_root.parent / case.script.removesuffix(".py"),
                      with_torch=torch_available())
    assert result["latte_ok"], f"{case.script} failed under Latte:\n{result['latte_log']}"
    if result["torch_ok"] is None:
        return
    assert result["torch_ok"], f"{case.script} failed under PyTorch:\n{result['torch_log']}"
    assert result["max_diff"] < TOLERANCE, (
        f"{case.script}: Latte and PyTorch differ by {result['max_diff']:.3g} at "
        f"{result['where']}")
