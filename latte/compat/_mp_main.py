"""The main module of a process that ``multiprocessing`` starts (``spawn``/``forkserver``) from a
script run by ``latte run``: the ``torch`` import hook first, then the script as
``__mp_main__``, so that the functions and classes pickled by the parent resolve in the child.

The parent names the script in ``$LATTE_MP_MAIN_PATH`` (``latte.compat.runner``).
"""
import os
import runpy

from latte.compat import install
from latte.compat.runner import MAIN_PATH_VARIABLE

install()
globals().update(runpy.run_path(os.environ[MAIN_PATH_VARIABLE], run_name="__mp_main__"))
