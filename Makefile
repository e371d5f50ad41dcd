# responsekit: the everyday commands. `make help` lists them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The pinned upstream OpenAPI file, kept in the repository; `make spec UPSTREAM=new.json` moves the pin.
UPSTREAM ?= spec/upstream/openai-openapi.json.gz
PORT ?= 8088

.PHONY: help install run spec spec-check codegen codegen-check test lint docs bench profile clean

help:
	@grep -E '^[a-z-]+:.*## ' Makefile | sed 's/:.*## /\t/'

STAMP := $(VENV)/.installed

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Reinstall only when the project's dependencies change.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## create .venv and install responsekit with its dev tools

run: install ## set up, then serve the echo sample on the in-memory store (PORT=8088)
	$(BIN)/responsekit serve samples/getting_started/app.py:app --port $(PORT)

spec: install ## re-extract spec/openapi.json from UPSTREAM plus spec/overlay.yaml (and pin UPSTREAM)
	$(BIN)/python -m codegen.extract --upstream $(UPSTREAM) --pin

spec-check: install ## report what UPSTREAM has that spec/ lacks (paths, schemas, event types)
	$(BIN)/python -m codegen.spec_check --upstream $(UPSTREAM)

codegen: install ## regenerate models and emit_* builders from spec/
	$(BIN)/python -m codegen.generate

codegen-check: install ## fail if regenerating would change the committed generated code
	$(BIN)/python -m codegen.generate --check

test: install ## run the whole test suite
	$(BIN)/python -m pytest -q

lint: install ## ruff over the hand-written code
	$(BIN)/ruff check src codegen tests bench samples
	$(BIN)/ruff format --check src codegen tests bench samples

# `install` holds the docs extra (it is in dev). Strict: a broken link or API reference fails the build.
docs: install ## build the user's guide (mkdocs.yml, docs/) into site/, strict
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

bench: ## benchmarks: print ratios against baselines measured in the same run
	$(BIN)/pip install -q -e '.[dev,bench]'
	$(BIN)/python -m bench

profile: ## where a request's time goes: flame graphs and sorted tables in profile/ (needs wrk)
	$(BIN)/pip install -q -e '.[dev,bench]'
	$(BIN)/python -m bench.profile

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
