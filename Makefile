# The two commands a newcomer needs:
#   make run    install, migrate, load demo data, serve http://127.0.0.1:5000
#   make test   install everything (CPU torch, Chromium) and run every test
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# torch is installed first, pinned, so that detoxify never pulls a CUDA build.
# Elsewhere: make test TORCH_INDEX="--index-url https://download.pytorch.org/whl/cpu"
TORCH ?= torch==2.13.0
TORCH_INDEX ?=
HOST ?= 127.0.0.1
# Test processes (pytest-xdist); the suite is independent per test.
TEST_WORKERS ?= 2
PORT ?= 5000

.PHONY: run test install install-dev system-deps bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/pip install --quiet -c constraints.txt -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/pip install --quiet $(TORCH_INDEX) $(TORCH)
	$(BIN)/pip install --quiet -c constraints.txt -e '.[detoxify,test]'
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

system-deps:
	@./scripts/system-deps

run: install
	$(BIN)/reviewer db upgrade
	$(BIN)/reviewer demo
	$(BIN)/flask --app reviewer run --host $(HOST) --port $(PORT)

test: install-dev system-deps
	$(BIN)/pytest -n $(TEST_WORKERS)

bench: install-dev
	@for f in bench/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis test-artifacts
