# The two commands: `make demo` and `make test`. Both create .venv when needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(abspath $(VENV))/bin
STAMP  := $(VENV)/.installed
# nbgrader runs `alembic` when it creates a gradebook: the venv's bin must be on PATH.
export PATH := $(BIN):$(PATH)
export MPLBACKEND := Agg
# Deterministic BLAS threading for reproducible figures and fair benchmarks.
export OPENBLAS_NUM_THREADS ?= 1

.PHONY: demo test test-fast lint notebooks benchmark clean venv

venv: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "python3 >= 3.11 is required (found %s)" % sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	@touch $(STAMP)

DEMO_COURSE ?= demo-course
demo: $(STAMP)
	$(BIN)/python -m autograder demo --course $(DEMO_COURSE)

lint: $(STAMP)
	$(BIN)/ruff check backprop_ref autograder tests benchmarks
	$(BIN)/ruff format --check backprop_ref autograder tests benchmarks
	$(BIN)/mypy backprop_ref

test: lint
	$(BIN)/python -m pytest -n 2 --dist loadfile -q

# The quick loop: no real nbgrader runs or kernels.
test-fast: lint
	$(BIN)/python -m pytest -n 2 --dist loadfile -q -m "not slow"

# Regenerate the nbgrader source notebooks from their paired py:percent files.
notebooks: $(STAMP)
	$(BIN)/python -m autograder.authoring

benchmark: $(STAMP)
	$(BIN)/python benchmarks/bench_mlp.py
	$(BIN)/python benchmarks/bench_conv.py
	$(BIN)/python benchmarks/bench_gradcheck.py
	$(BIN)/python benchmarks/bench_grading.py

clean:
	rm -rf $(VENV) course .pytest_cache .mypy_cache .ruff_cache
