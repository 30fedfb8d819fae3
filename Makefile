# Two commands for a fresh machine with Python >= 3.10: `make demo`, `make test`.
# Each creates .venv (with the project and its dev tools) when it is missing.
# `make test-all` runs the nox matrix (every supported Python, the built wheel, lint once).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo demo-celery test test-all package lint typecheck pytest docs docs-check bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "joblog needs Python >= 3.10; set PYTHON=python3.x")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=25.1"
	$(BIN)/python -m pip install --quiet --editable . --group dev
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python examples/video_pipeline/demo.py

# The demo with the compose stage on a Celery worker: its own redis-server
# (free port on 127.0.0.1) and worker, stopped afterwards; needs redis-server.
demo-celery: $(STAMP)
	$(BIN)/python examples/video_pipeline/celery_demo.py

test: lint typecheck pytest docs-check

# Every supported CPython (a missing one is an error), then the sdist and wheel checks.
test-all: $(STAMP)
	$(BIN)/nox

# Only the build and the smoke tests of the wheel, once per extra.
package: $(STAMP)
	$(BIN)/nox -s package

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy --strict src examples/video_pipeline

pytest: $(STAMP)
	$(BIN)/python -m pytest --cov --cov-branch --cov-report=term-missing

# The documentation site, built into site/ (mkdocs build --strict: no broken link
# or missing reference), then every page opened in headless Chromium.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

docs-check: docs
	$(BIN)/python scripts/check_site.py site

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet --group bench
	$(BIN)/python bench/emit.py
	$(BIN)/python bench/lines.py
	$(BIN)/python bench/big_values.py
	$(BIN)/python bench/asgi.py
	$(BIN)/python bench/httpx_calls.py
	$(BIN)/python bench/otel.py
	$(BIN)/python bench/query.py
	$(BIN)/python bench/redact.py
	$(BIN)/python bench/importtime.py

clean:
	rm -rf $(VENV) site .nox .coverage .coverage.* .mypy_cache .ruff_cache .hypothesis build dist
