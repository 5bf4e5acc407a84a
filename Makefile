# All set-up happens here: a fresh machine needs only Python >= 3.11 and make.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
OUT    ?= out

.PHONY: demo test lint typecheck docs docs-serve bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[dev,docs]"
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/fidelity instruments
	$(BIN)/fidelity validate examples/enrich-audit.csv
	$(BIN)/fidelity score examples/enrich-audit.csv -o $(OUT)
	$(BIN)/fidelity reliability examples/enrich-audit.csv -o $(OUT)
	$(BIN)/fidelity report examples/enrich-audit.csv -o $(OUT) --per-site

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -q

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests benchmarks docs conftest.py
	$(BIN)/mypy
	$(BIN)/lint-imports

docs: $(VENV)/.installed-dev
	$(BIN)/mkdocs build --strict

docs-serve: $(VENV)/.installed-dev
	$(BIN)/mkdocs serve

bench: $(VENV)/.installed-dev
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) site dist build $(OUT) .pytest_cache .mypy_cache .ruff_cache .hypothesis \
		.import_linter_cache .grimp_cache
