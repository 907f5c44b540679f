# The course in two commands:  `make lab` opens it, `make test` tests it.
# Both create (or reuse) .venv and install what is needed; see tools/setup_env.py.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
EXTRAS ?= course,dev,oracles
PORT   ?= 8888
# Jupyter refuses to run as root unless asked (containers and CI machines often are root).
ROOT_FLAG := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root,)
NBVAL  := --nbval-lax --nbval-current-env --sanitize-with tests/nbval_sanitize.cfg

.PHONY: setup lab test test-fast notebooks lint format release clean

setup: $(VENV)/.minillm-setup

$(VENV)/.minillm-setup: pyproject.toml tools/setup_env.py
	$(PYTHON) tools/setup_env.py --venv $(VENV) --extras $(EXTRAS)
	@touch $@

## Open the course in JupyterLab, starting at lesson 00.
lab: setup
	$(BIN)/jupyter lab --port=$(PORT) $(ROOT_FLAG) notebooks/00_setup_and_tour.ipynb

## Everything CI runs: exercises in sync, unit tests (slow ones too), every notebook under nbval.
test: setup
	$(BIN)/minillm release --check
	$(BIN)/python -m pytest -m "slow or not slow" tests notebooks solutions $(NBVAL)

## The quick loop while developing: unit tests without the slow ones, no notebooks.
test-fast: setup
	$(BIN)/python -m pytest -x -q

## Only the notebooks, with their wall times.
notebooks: setup
	$(BIN)/python -m pytest notebooks solutions $(NBVAL)

lint: setup
	$(BIN)/ruff check minillm tests tools benchmarks
	$(BIN)/ruff format --check minillm tests tools benchmarks

format: setup
	$(BIN)/ruff format minillm tests tools benchmarks
	$(BIN)/ruff check --fix minillm tests tools benchmarks

## Regenerate exercises/ from solutions/.
release: setup
	$(BIN)/minillm release

clean:
	rm -rf $(VENV) .pytest_cache
