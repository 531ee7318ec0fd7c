# Two entry points: `make report` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO := demo-data
DEMO_ARGS := --requests 2000 --seed 7 --as-of 2026-12-01 --request-months 2
LAB_ARGS ?=

.PHONY: report test lint format bench bench-scale bench-peer clean lab

$(BIN)/auditkit: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(BIN)/auditkit

# One demo extract taken on 2026-12-01 with its history, holding the requests of October and
# November (some members ask again in November); one report per month, each request judged
# at the moment it was made.
report: $(BIN)/auditkit
	$(BIN)/auditkit demo --out $(DEMO) $(DEMO_ARGS)
	$(BIN)/auditkit report --data $(DEMO) --period 2026-10 --as-of 2026-12-01 --at requested --sample --out reports
	$(BIN)/auditkit report --data $(DEMO) --period 2026-11 --as-of 2026-12-01 --at requested --sample --out reports
	@echo "Report: reports/2026-11/report.html (compared with reports/2026-10/report.html)"
	@echo "Index:  reports/index.html"

# The explorer in JupyterLab on the data `make report` writes (made here when missing), judged
# at the moment of decision, with the review register (LAB_DB, the reports' register by
# default) so that the review panel is there. The notebook opened is a copy in reports/lab/,
# never the shipped one. `make lab LAB_ARGS="--no-browser --port 8888"` only prints the address.
LAB_DB ?= reports/review.db
lab: $(BIN)/jupyter-lab $(DEMO)/requests.csv
	$(BIN)/auditkit explore --lab --data $(DEMO) --as-of 2026-12-01 --at requested --db $(LAB_DB) $(LAB_ARGS)

$(BIN)/jupyter-lab: $(BIN)/auditkit
	$(BIN)/python -m pip install --quiet -e '.[lab]'
	touch $(BIN)/jupyter-lab

$(DEMO)/requests.csv: | $(BIN)/auditkit
	$(BIN)/auditkit demo --out $(DEMO) $(DEMO_ARGS)

# One worker per core; a test file's tests stay on one worker, so module-scoped fixtures (a
# judged data set, a Voila server, a browser) are built once. Files are handed out costliest
# first (tests/conftest.py, tests/file_costs.json), not by their number of tests, so that the
# workers finish together. PYTEST_ARGS adds options. auditkit's bytecode is written first:
# with PYTHONDONTWRITEBYTECODE set (as on this project's machine) every kernel and command the tests start
# would otherwise compile every module again (about 0.15 s each, hundreds of them).
PYTEST_ARGS ?=
test: $(BIN)/auditkit
	$(BIN)/ruff check auditkit tests benchmarks
	$(BIN)/ruff format --check auditkit tests benchmarks
	$(BIN)/python -m compileall -q auditkit
	$(BIN)/python -m pytest -n auto --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

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
	$(BIN)/python benchmarks/bench_explore.py

# Both engines at 200k and 1M requests (snapshot), and the point-in-time run at 1M; the
# 10M Dask run is by hand (see benchmarks/bench_scale.py: it needs ~17 GiB to build).
bench-scale: $(BIN)/auditkit
	$(BIN)/python benchmarks/bench_scale.py --requests 200000 --engine pandas
	$(BIN)/python benchmarks/bench_scale.py --requests 1000000 --engine pandas
	$(BIN)/python benchmarks/bench_scale.py --requests 1000000 --engine pandas --format csv
	$(BIN)/python benchmarks/bench_scale.py --requests 1000000 --engine pandas --at requested
	$(BIN)/python benchmarks/bench_scale.py --requests 200000 --engine dask
	$(BIN)/python benchmarks/bench_scale.py --requests 1000000 --engine dask

# auditkit against the Polars peer (benchmarks/peer.py) at 200k and 1M requests on three data
# shapes (pandas-written Parquet, demo Parquet, CSV): ratios measured in the same run.
bench-peer: $(BIN)/auditkit
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python benchmarks/bench_peer.py

clean:
	rm -rf $(DEMO) reports/demo-check reports/2026-10 reports/2026-11 reports/.versions reports/index.html .pytest_cache .ruff_cache
	rm -rf reports/cache reports/exports reports/lab
