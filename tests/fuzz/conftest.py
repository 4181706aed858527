"""The fuzz tests: hypothesis profiles and ``op_db`` on the import path.

``LATTE_FUZZ=long`` (what ``make fuzz`` sets) runs many examples per op with fresh random
draws; the default ``ci`` profile runs a few, derandomized, so CI is reproducible and short.
"""
from __future__ import annotations

import os
import sys

from hypothesis import HealthCheck, Phase, settings

sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))  # op_db

_QUIET = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large]
# no shrinking in CI: a failing example is reported as drawn (shrinking one costs minutes)
# no example database either: CI runs exactly the drawn examples, run after run
settings.register_profile("fuzz-ci", max_examples=5, deadline=None, derandomize=True,
                          database=None,
                          phases=[Phase.explicit, Phase.reuse, Phase.generate],
                          suppress_health_check=_QUIET, print_blob=True)
settings.register_profile("fuzz-long", max_examples=300, deadline=None,
                          suppress_health_check=_QUIET, print_blob=True)
