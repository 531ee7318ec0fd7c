# Two entry points: `make report` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO := demo-data

.PHONY: report test lint format bench clean

$(BIN)/auditkit: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(BIN)/auditkit

# Two demo months of one population: November is October one month later
# (some findings resolved, new ones, requests come and go), so the change section has content.
report: $(BIN)/auditkit
	$(BIN)/auditkit demo --out $(DEMO)/2026-10 --requests 2000 --seed 7 --as-of 2026-10-01
	$(BIN)/auditkit demo --out $(DEMO)/2026-11 --requests 2000 --seed 7 --months 1 --as-of 2026-11-01
	$(BIN)/auditkit report --data $(DEMO)/2026-10 --period 2026-10 --as-of 2026-10-01 --out reports
	$(BIN)/auditkit report --data $(DEMO)/2026-11 --period 2026-11 --as-of 2026-11-01 --out reports
	@echo "Report: reports/2026-11/report.html (compared with reports/2026-10/report.html)"
	@echo "Index:  reports/index.html"

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
	$(BIN)/python benchmarks/bench_whatif.py
	$(BIN)/python benchmarks/bench_review.py

clean:
	rm -rf $(DEMO) reports/demo-check reports/2026-10 reports/2026-11 reports/index.html .pytest_cache .ruff_cache
