# The two commands: `make demo` and `make test`. Both check the system first
# (scripts/setup-system: installs what is missing as root with apt, else says what to
# install), then create .venv when needed.
#
# Opt-outs, for machines without them:
#   make demo SANDBOX=0                grade the demo without the bubblewrap sandbox
#   make test SANDBOX=0 POSTGRES=0 BROWSER=0
#                                      the tests that need them are skipped, saying so
#                                      (BACKPROP_TESTS_WITHOUT=sandbox,... does the same for pytest)
PYTHON ?= python3
VENV   := .venv
BIN    := $(abspath $(VENV))/bin
STAMP  := $(VENV)/.installed
# nbgrader runs `alembic` when it creates a gradebook: the venv's bin must be on PATH.
export PATH := $(BIN):$(PATH)
export MPLBACKEND := Agg
# Deterministic BLAS threading for reproducible figures and fair benchmarks.
export OPENBLAS_NUM_THREADS ?= 1

SANDBOX  ?= 1
POSTGRES ?= 1
BROWSER  ?= 1
WITHOUT  := $(if $(filter 0,$(SANDBOX)),sandbox) $(if $(filter 0,$(POSTGRES)),postgres) \
            $(if $(filter 0,$(BROWSER)),browser)
SETUP    := scripts/setup-system
SETUP_WITHOUT := $(foreach w,$(WITHOUT),--without $(w))
comma := ,
empty :=
space := $(empty) $(empty)
# Read by tests/system.py: what this run opted out of.
export BACKPROP_TESTS_WITHOUT := $(subst $(space),$(comma),$(sort $(subst $(comma),$(space),$(BACKPROP_TESTS_WITHOUT)) $(WITHOUT)))

.PHONY: demo test test-fast lint notebooks benchmark clean venv site

venv: $(STAMP)

$(STAMP): pyproject.toml setup.py kit/pyproject.toml
	@PYTHON=$(PYTHON) $(SETUP) venv
	@echo "creating $(VENV) and installing the course into it (a few minutes the first time; log: $(VENV)/install.log)"
	@$(PYTHON) -m venv $(VENV)
	@{ $(BIN)/python -m pip install --upgrade pip && $(BIN)/python -m pip install -e ./kit -e '.[test]'; } \
		> $(VENV)/install.log 2>&1 || { tail -n 25 $(VENV)/install.log; echo "pip failed: see $(VENV)/install.log"; exit 1; }
	@touch $(STAMP)

DEMO_COURSE ?= demo-course
# The system check comes first: nothing is installed on a machine that cannot run the demo.
demo:
	@PYTHON=$(PYTHON) $(SETUP) demo $(SETUP_WITHOUT)
	@$(MAKE) -s --no-print-directory venv
	$(BIN)/python -m autograder demo --course $(DEMO_COURSE)$(if $(filter sandbox,$(WITHOUT)), --no-sandbox)

# The self-study site (site/index.html), usable offline: see autograder/commands/site.py.
site: $(STAMP)
	$(BIN)/python -m autograder.commands.site --out site

lint: $(STAMP)
	$(BIN)/ruff check kit backprop_ref autograder tests benchmarks
	$(BIN)/ruff format --check kit backprop_ref autograder tests benchmarks
	$(BIN)/mypy

test:
	@PYTHON=$(PYTHON) $(SETUP) test $(SETUP_WITHOUT)
	@$(MAKE) --no-print-directory lint
	$(BIN)/python -m pytest -n 2 --dist loadfile -q

# The quick loop: no real nbgrader runs or kernels.
test-fast:
	@PYTHON=$(PYTHON) $(SETUP) test $(SETUP_WITHOUT)
	@$(MAKE) --no-print-directory lint
	$(BIN)/python -m pytest -n 2 --dist loadfile -q -m "not slow"

# Regenerate the nbgrader source notebooks from their paired py:percent files.
notebooks: $(STAMP)
	$(BIN)/python -m autograder.lessons.authoring

benchmark: $(STAMP)
	$(BIN)/python benchmarks/bench_mlp.py
	$(BIN)/python benchmarks/bench_conv.py
	$(BIN)/python benchmarks/bench_gradcheck.py
	$(BIN)/python benchmarks/bench_grading.py

clean:
	rm -rf $(VENV) demo-course site .pytest_cache .mypy_cache .ruff_cache kit/build
	rm -f notebooks/*/checks.npz
