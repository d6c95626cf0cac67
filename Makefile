# Two commands for a newcomer: `make demo` and `make test`. Both set up a virtualenv first.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup demo test lint validate bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

DATA   ?= data/demo.duckdb
OUT    ?= out
YEAR   ?= 2018
SERIES ?= 2015-2019

# The main job: generate the synthetic national extract (kept while the generator is
# unchanged), hold every computed figure against the published ones, write the report and the catalogue site.
demo: setup $(DATA)
	$(BIN)/indicators check --data $(DATA) --junit $(OUT)/check-junit.xml --json $(OUT)/check.json
	$(BIN)/indicators report --data $(DATA) --year $(YEAR) --compare $$(( $(YEAR) - 1 )) \
	  --format html --format md --format xlsx --format px --format jsonstat --years $(SERIES) \
	  $$($(BIN)/python -c 'from engine.browser import find_chromium; print("--format pdf" * bool(find_chromium()))') \
	  --out $(OUT)
	$(BIN)/indicators docs --out $(OUT)/site --data $(DATA) --year $(YEAR)
	@echo
	@echo "Report:  $(OUT)/aterrapportering_$(YEAR).html  (one file; open it in any browser, works offline)"
	@echo "         $(OUT)/aterrapportering_$(YEAR).md, $(OUT)/aterrapportering_$(YEAR).xlsx"
	@if [ -f $(OUT)/aterrapportering_$(YEAR).pdf ]; then echo "         $(OUT)/aterrapportering_$(YEAR).pdf (A4, printed by headless Chromium)"; \
	  else echo "         (no PDF: install chromium for --format pdf)"; fi
	@echo "Tables:  $(OUT)/px/*.px (PX-Web) and $(OUT)/jsonstat/*.json (JSON-stat 2.0), every indicator $(SERIES)"
	@echo "Site:    $(OUT)/site/index.html  (the catalogue: a page per indicator, the model, the sources; offline)"
	@echo "Check:   $(OUT)/check.json, $(OUT)/check-junit.xml (every published figure held against the data)"
	@echo "Data:    $(DATA) (synthetic, 2015-2019; regenerate with: rm $(DATA) && make demo)"

$(DATA): $(wildcard engine/synthetic.py engine/synthetic.sql) | $(STAMP)
	$(BIN)/indicators demo-data --out $(DATA)

# Every benchmark in one run (bench/all.py): the catalogue against hand-written DuckDB SQL at scale 1 and 10
# (generates data/demo-s10.duckdb when missing), one indicator through the CLI at scale 10, batched against
# per indicator on DuckDB, PostgreSQL and Spark; the ratios at the end. Exit 1 only on a cross-check mismatch.
# Quicker: make bench BENCH_FLAGS="--no-spark --no-postgres --no-scale10"
BENCH_FLAGS ?=
bench: setup $(DATA)
	$(BIN)/python bench/all.py --data $(DATA) $(BENCH_FLAGS)

validate: setup
	$(BIN)/indicators validate

# Lint (ruff, the rule set in pyproject.toml) and type-check (mypy on engine/); `make test` runs it first.
lint: setup
	$(BIN)/ruff check engine tests bench
	$(BIN)/mypy

test: setup lint
	$(BIN)/indicators validate
	$(BIN)/indicators test
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .mypy_cache .ruff_cache *.egg-info $(OUT)
