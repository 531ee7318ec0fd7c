# Two entry points: `make report` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO := demo-data
DEMO_AS_OF := 2026-11-01

.PHONY: report test lint format bench clean

$(BIN)/auditkit: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(BIN)/auditkit

report: $(BIN)/auditkit
	$(BIN)/auditkit demo --out $(DEMO) --requests 2000 --as-of $(DEMO_AS_OF)
	$(BIN)/auditkit check --data $(DEMO) --out reports/demo-check --as-of $(DEMO_AS_OF)
	@echo "Results: reports/demo-check/results.csv and reports/demo-check/verdicts.csv"

test: $(BIN)/auditkit
	$(BIN)/ruff check auditkit tests benchmarks
	$(BIN)/ruff format --check auditkit tests benchmarks
	$(BIN)/python -m pytest

lint: $(BIN)/auditkit
	$(BIN)/ruff check auditkit tests benchmarks
	$(BIN)/ruff format --check auditkit tests benchmarks

format: $(BIN)/auditkit
	$(BIN)/ruff format auditkit tests benchmarks
	$(BIN)/ruff check --fix auditkit tests benchmarks

bench: $(BIN)/auditkit
	$(BIN)/python benchmarks/bench_check.py

clean:
	rm -rf $(DEMO) reports/demo-check .pytest_cache .ruff_cache
