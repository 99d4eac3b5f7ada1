# The two set-up commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DATA   ?= ./var/registry
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test test-fast install install-test demo lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

demo: install
	$(BIN)/registry demo --data $(DATA)

run: demo
	$(BIN)/registry serve --data $(DATA) --host $(HOST) --port $(PORT)

lint: install-test
	$(BIN)/ruff check src tests $(wildcard bench)
	$(BIN)/mypy

# the suite on WORKERS pytest-xdist processes (one more than the cores: many tests wait on a server, a
# subprocess, fsync or Chromium); each test module stays on one worker (tests/conftest.py)
WORKERS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 1) + 1 )))
XDIST   := -n $(WORKERS) --dist loadfile --no-loadscope-reorder

test: install-test lint
	$(BIN)/python -m pytest -q --durations=20 $(XDIST)

# the inner loop: everything but the tests marked slow (servers, browsers, Virtuoso, Java, the bench)
test-fast: install-test lint
	$(BIN)/python -m pytest -q -m "not slow" $(XDIST)

bench: install-test
	$(BIN)/pip install --quiet -e '.[test,bench]'
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
