# responsekit: the everyday commands. `make help` lists them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
UPSTREAM ?= ../shared/reference/openai-openapi.json
PORT ?= 8088

.PHONY: help install run spec spec-check codegen codegen-check test lint bench clean

help:
	@grep -E '^[a-z-]+:.*## ' Makefile | sed 's/:.*## /\t/'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

install: $(BIN)/python ## create .venv and install responsekit with its dev tools
	$(BIN)/pip install -q -e '.[dev]'

run: install ## run the echo sample on the in-memory store (PORT=8088)
	PORT=$(PORT) $(BIN)/python samples/getting_started/app.py

spec: ## re-extract spec/openapi.json from UPSTREAM plus spec/overlay.yaml
	$(BIN)/python -m codegen.extract --upstream $(UPSTREAM)

spec-check: ## report what UPSTREAM has that spec/ lacks (paths, schemas, event types)
	$(BIN)/python -m codegen.spec_check --upstream $(UPSTREAM)

codegen: ## regenerate models and emit_* builders from spec/
	$(BIN)/python -m codegen.generate

codegen-check: ## fail if regenerating would change the committed generated code
	$(BIN)/python -m codegen.generate --check

test: ## run the whole test suite
	$(BIN)/python -m pytest -q

lint: ## ruff over the hand-written code
	$(BIN)/ruff check src codegen tests bench samples
	$(BIN)/ruff format --check src codegen tests bench samples

bench: ## benchmarks: print ratios against baselines measured in the same run
	$(BIN)/pip install -q -e '.[dev,bench]'
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
