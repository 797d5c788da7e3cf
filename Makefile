# pystory — the commands a learner needs. `make help` lists them.
#
# Everything runs inside a local virtual environment (.venv) that the first
# command creates; later commands reuse it and only rebuild what changed.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
SETUP  := $(VENV)/.setup-done
# The C extension is rebuilt whenever a C source or header changes.
CSRC   := $(wildcard csrc/*.c csrc/*.h csrc/inc/*.h) pystory/cbuild.py
EXT    := build/.ext-built
# Test workers: 2 by default (CI has 2 cores); `make test JOBS=1` to run serially.
JOBS   ?= 2
CH     ?= 00
ARGS   ?=

.PHONY: help setup build test test-gpu bench figures grade story data train clean doctor

help:
	@echo "make story        print a story from the shipped model (ARGS=\"--seed 7 --prompt '...'\")"
	@echo "make test         set up, build and run the test suite (CPU only)"
	@echo "make test-gpu     run the GPU tests (needs an NVIDIA GPU and CuPy)"
	@echo "make bench        run every chapter's benchmarks (tables and plots in build/figures/)"
	@echo "make figures      run every demo and write the committed figures in chapters/*/figures/"
	@echo "make grade CH=00  grade your homework for chapter CH"
	@echo "make data         write the default story corpus to data/storyworld"
	@echo "make train        train the GPT (ARGS=\"--steps 2000 --out runs/gpt\"; see python -m pystory train --help)"
	@echo "make doctor       check Python, compiler, OpenMP, nvcc, CuPy, GPU"
	@echo "make setup        create .venv and install pystory into it"
	@echo "make build        (re)build the C extension"
	@echo "make clean        remove build outputs (keeps .venv)"
	@echo "Benchmarks and demos write to build/figures/; add ARGS=--refresh-figures to make bench to"
	@echo "rewrite the committed tables in chapters/*/figures/."

$(SETUP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.10+"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev,web]"
	@$(PY) -m pip install -q -e ".[mpi]" || echo "note: MPI (mpi4py, mpich) could not be installed: the multi-process tests of chapter 08 will be skipped"
	@touch $@

setup: $(SETUP)

$(EXT): $(CSRC) | $(SETUP)
	$(PY) -m pystory.cbuild
	@mkdir -p build && touch $@

build: $(EXT)

test: build
	$(PY) -m pytest -q -n $(JOBS) $(ARGS)

test-gpu: build
	$(PY) -m pytest -q -m gpu --require-gpu $(ARGS)

bench: build
	@for b in chapters/*/bench*.py; do echo "== $$b"; $(PY) $$b $(ARGS) || exit 1; done

figures: build
	@for d in chapters/*/demo.py; do echo "== $$d"; $(PY) $$d --refresh-figures $(ARGS) || exit 1; done

grade: build
	$(PY) -m pystory grade $(CH) $(ARGS)

doctor: $(SETUP)
	$(PY) -m pystory doctor

data: $(SETUP)
	$(PY) -m pystory data --stories 50000 --seed 0 --out data/storyworld

story: build
	$(PY) -m pystory story $(ARGS)

train: build
	$(PY) -m pystory train $(ARGS)

clean:
	rm -rf build pystory/_cpystory* .pytest_cache chapters/*/exercises/_grade_build
	find . -name __pycache__ -not -path './.venv/*' -prune -exec rm -rf {} +
