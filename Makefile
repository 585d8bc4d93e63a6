# Two entry points, each builds its own environment from pyproject.toml on first use:
#   make run    the main job: England baseline vs the recommended scenario, 10 replicates
#               each (comparison table, summary and figure under results/compare/)
#   make test   the full test suite (what .ci/run calls)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: run test test-matrix bench bench-batch lint clean
$(VENV)/.installed: pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

run: $(VENV)/.installed
	$(BIN)/pasim-compare $(ARGS)

test: $(VENV)/.installed
	$(BIN)/ruff check sim tests benchmarks
	$(BIN)/pytest -n 2 $(ARGS)

# Python 3.11 + Mesa 3.3, and 3.12 / 3.13 + the newest Mesa 3.x, each in its own venv
test-matrix:
	.ci/test-matrix

bench: $(VENV)/.installed
	$(BIN)/python -m benchmarks.run $(ARGS)

# replicates stepped together vs one at a time on England (benchmarks/README.md)
bench-batch: $(VENV)/.installed
	$(BIN)/python -m benchmarks.batch $(ARGS)

clean:
	rm -rf $(VENV) .venv-matrix outputs multirun
