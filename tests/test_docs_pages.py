"""The pages `make docs` generates from the code list what the code has (no Sphinx needed)."""
import sys
from pathlib import Path

import latte
import latte.nn
from latte.compat import torch_surface

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "docs" / "_ext"), str(ROOT / "tests" / "compat")]

import latte_compat_page  # noqa: E402  (docs/_ext)
import latte_reference  # noqa: E402
from _compat_corpus import CORPUS  # noqa: E402


def test_reference_page_describes_every_public_name():
    page = latte_reference.namespace_page("latte.nn")
    for name in latte_reference.public_names(latte.nn):
        assert f"   {name}\n" in page, name
    assert ".. autoclass:: Linear\n" in page and ".. automodule:: latte.nn\n" in page


def test_a_class_is_indexed_once_at_its_home():
    # no_grad lives in latte.autograd.grad_mode: indexed on latte.autograd's page only
    assert latte_reference.home(latte.no_grad) == "latte.autograd"
    top = latte_reference.namespace_page("latte")
    assert ".. autoclass:: no_grad\n   :members:\n   :undoc-members:\n   :no-index:\n" in top
    assert ":no-index:" not in latte_reference.namespace_page("latte.autograd")


def test_compat_page_covers_the_surface_and_the_corpus():
    surface = latte_compat_page.surface_table()
    for module in torch_surface.SURFACES:
        for attr in torch_surface.surface(module):
            assert f"``{module}.{attr}``" in surface
    corpus = latte_compat_page.corpus_table()
    assert all(f"`{case.script}`" in corpus for case in CORPUS)
    # the names listed as missing are exactly those Latte's Tensor lacks
    listed = latte_compat_page.tensor_coverage().rsplit(":\n\n", 1)[1].strip().split(", ")
    assert listed and all(not hasattr(latte.Tensor, n.strip("`")) for n in listed)
    assert "`add`" not in listed and "`backward`" not in listed
