# make run  — create .venv, install, build the bundled knowledge base, print an overview
# make test — create .venv if needed and run the whole test suite

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test build validate bench clean coverage

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/silkroad build
	$(BIN)/silkroad overview

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q

validate: $(STAMP)
	$(BIN)/silkroad validate

bench: $(STAMP)
	for f in bench/bench_*.py; do $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache

coverage: $(STAMP)
	$(BIN)/silkroad --db .venv/coverage.duckdb build
	$(BIN)/silkroad --db .venv/coverage.duckdb coverage --out docs/coverage.md
