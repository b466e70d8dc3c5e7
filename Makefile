# The project's commands. `make run` and `make test` each set up what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DATA_DIR ?= data
DEMO := $(DATA_DIR)/demo.ndjson
# The resolver's and matchers' modules compiled with mypyc (tools/compiled_core.py), rebuilt
# when any package source changes (compiled code depends on the types it imports).
CORE := $(VENV)/.core-compiled

.PHONY: run test test-fast check pytest neo4j-build browser bench clean core

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $(STAMP)

$(CORE): $(STAMP) $(wildcard identity/*.py matchers/*.py graph/*.py) tools/compiled_core.py
	$(BIN)/python -m tools.compiled_core build
	touch $(CORE)

core: $(CORE)

# Loads a generated demo population into the embedded store and serves the API.
run: $(CORE)
	@test -f $(DEMO) || $(BIN)/python -m bench.generate --people 500 --out $(DEMO)
	$(BIN)/idgraph --data-dir $(DATA_DIR) load $(DEMO) --rejects $(DATA_DIR)/demo.rejects.ndjson
	@test -f $(DATA_DIR)/demo.key || $(BIN)/idgraph --data-dir $(DATA_DIR) keys create --role admin --label demo | tail -n 1 > $(DATA_DIR)/demo.key
	@echo "demo API key (role admin) in $(DATA_DIR)/demo.key: $$(cat $(DATA_DIR)/demo.key)"
	$(BIN)/idgraph --data-dir $(DATA_DIR) serve --host 127.0.0.1 --port 8000

# Lint, format check and types over the packages, tests and benchmarks.
check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

neo4j-build: $(STAMP)
	$(BIN)/python -c "from tools import neo4j_local; neo4j_local.build()"

# Debian's Chromium for the page tests (Playwright drives it; its own browser download is
# not reachable here). Installed as root with apt when missing; IDGRAPH_CHROMIUM names
# another binary.
CHROMIUM ?= $(or $(IDGRAPH_CHROMIUM),/usr/bin/chromium)
browser:
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "no Chromium at $(CHROMIUM): install Debian's chromium (as root: apt-get install chromium) or set IDGRAPH_CHROMIUM" >&2; exit 1; \
	  fi; }
	@$(CHROMIUM) --version 2>/dev/null

# The whole suite on both stores; the Neo4j session fixture starts the local server.
pytest: $(CORE) neo4j-build browser
	$(BIN)/pytest -q

test: check pytest

# The edit-test loop: the embedded store only, no Neo4j, no browser, on every core. A stale
# compiled core is removed so the sources run (pure Python); `make test` rebuilds it.
# docs/development.md explains the lanes.
test-fast: $(STAMP)
	$(BIN)/python -m tools.compiled_core drop-stale
	$(BIN)/pytest -q -n auto -m "not neo4j and not browser and not slow"

# Each run replaces its own section of bench/RESULTS.md (docs/benchmarks.md).
bench: $(CORE)
	$(BIN)/python -m bench ingest --people 5000
	$(BIN)/python -m bench lookup --people 5000

clean:
	test ! -x $(BIN)/python || $(BIN)/python -m tools.compiled_core clean
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache neo4j-local/target
