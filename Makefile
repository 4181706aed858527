# The two commands that do everything on a fresh machine (see README.md):
#   make demo   trains the default model (an MLP on MNIST; offline, the shipped sample)
#   make test   installs the test tools (and PyTorch as a test oracle) and runs the suite
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: demo test bench lint compat accuracy parity docs soak fuzz

$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.core: $(PY) pyproject.toml
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.test: $(VENV)/.core
	$(PY) -m pip install -q -e '.[test]'
	# PyTorch is only a test oracle: parity tests skip cleanly when it cannot be installed
	$(PY) -m pip install -q torch==2.13.0 || echo "torch==2.13.0 unavailable: parity tests will skip"
	touch $@

$(VENV)/.demo: $(VENV)/.core
	# pillow reads the images, matplotlib draws the plots, tqdm the progress bars
	$(PY) -m pip install -q -e '.[vision,plot]'
	touch $@

demo: $(VENV)/.demo
	$(VENV)/bin/latte train

test: $(VENV)/.test
	$(PY) -m pytest

# one table of Latte/PyTorch time and memory ratios, with the default threads and with one
# (benchmarks/README.md lists every benchmark and its own options)
bench: $(VENV)/.test
	$(PY) -m pip install -q psutil threadpoolctl
	$(PY) benchmarks/bench_all.py
	$(PY) benchmarks/bench_all.py --threads 1

$(VENV)/.lint: $(VENV)/.core
	$(PY) -m pip install -q -e '.[lint]'
	touch $@

# style (ruff), the layer contract (import-linter, in pyproject.toml), no import circle, and
# mypy on a typed user script (tests/typing/, configured in pyproject.toml)
lint: $(VENV)/.lint
	$(PY) -m ruff check latte tests benchmarks examples tools experiments
	$(VENV)/bin/lint-imports
	$(PY) tools/import_graph.py
	$(PY) -m mypy

$(VENV)/.docs: $(VENV)/.core
	# Sphinx, its theme and extensions, and what the executed tutorials draw and read with
	$(PY) -m pip install -q -e '.[docs]'
	touch $@

# the documentation site into docs/_build/html, its tutorials executed; a warning is an error
docs: $(VENV)/.docs
	$(PY) -m sphinx -W --keep-going -q -b html docs docs/_build/html

# reliability, long (CI runs the bounded versions): resume after SIGKILL at every kill point,
# dying workers and ranks, 10,000-step memory soaks of each model family and 100 DataLoader
# epochs; prints the memory slopes per 1,000 steps
soak: $(VENV)/.test
	LATTE_SOAK=1 $(PY) -m pytest tests/reliability -s -q --timeout 3600

compat: $(VENV)/.test
	$(PY) tools/compat_report.py

accuracy: $(VENV)/.test
	# float32 error of Latte and PyTorch against float64 at real sizes, and their ratio
	$(PY) benchmarks/accuracy_table.py

parity: $(VENV)/.test
	# one MNIST epoch per model in Latte and PyTorch from the same weights (needs ../shared/data/mnist)
	$(PY) benchmarks/training_parity.py

# the long fuzz profile: many hypothesis examples per op against PyTorch, and mutated checkpoint,
# safetensors and dataset files (CI runs the same tests with a few derandomized examples each)
fuzz: $(VENV)/.test
	LATTE_FUZZ=long $(PY) -m pytest tests/fuzz -p no:cacheprovider
