# `make demo` installs everything and runs the embedded demo; `make test` runs the test suite.
PYTHON ?= python3
VENV ?= .venv
CORES ?= 2
BIN := $(VENV)/bin

.PHONY: demo test install lint

$(BIN)/snakemake: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --no-cache-dir --upgrade pip
	$(BIN)/pip install --quiet --no-cache-dir -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

install: $(BIN)/snakemake
	@command -v bedtools >/dev/null || { \
	  if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && apt-get install -y -qq bedtools; \
	  else echo "bedtools is missing: install it (apt-get install bedtools, or conda install -c bioconda bedtools)"; exit 1; fi; }
	@command -v chromium-headless-shell >/dev/null || command -v chromium >/dev/null || { \
	  if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	    apt-get install -y -qq chromium-headless-shell || { apt-get update -qq && apt-get install -y -qq chromium-headless-shell; }; \
	  else echo "headless Chromium is missing (for the report test): apt-get install chromium-headless-shell"; fi; }

demo: install
	$(BIN)/snakemake --cores $(CORES)

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/snakemake --lint
	$(BIN)/snakefmt --check Snakefile workflow
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
