PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP_DEV := $(VENV)/.installed-dev
STAMP_DEMO := $(VENV)/.installed-demo

.PHONY: demo test test-serial test-fast lint format clean bench

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP_DEV): $(PY) pyproject.toml
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP_DEV)

$(STAMP_DEMO): $(PY) pyproject.toml
	$(PY) -m pip install --quiet -e ".[demo]"
	touch $(STAMP_DEMO)

demo: $(STAMP_DEMO)
	$(PY) examples/demo.py

lint: $(STAMP_DEV)
	$(VENV)/bin/ruff check src tests benchmarks examples
	$(VENV)/bin/ruff format --check src tests benchmarks examples

format: $(STAMP_DEV)
	$(VENV)/bin/ruff format src tests benchmarks examples
	$(VENV)/bin/ruff check --fix src tests benchmarks examples

# everything, slow tests included (what CI runs: .ci/run), in two processes (pytest-xdist);
# under 15 minutes on 2 cores
test: lint
	$(PY) -m pytest -q -n 2

# the same, one process (the order and output of a plain pytest run)
test-serial: lint
	$(PY) -m pytest -q

# the inner loop: all but the tests marked slow; under 5 minutes on 2 cores
test-fast: lint
	$(PY) -m pytest -q -n 2 -m "not slow"

bench: $(STAMP_DEV)
	$(PY) benchmarks/overhead.py --json

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build dist
