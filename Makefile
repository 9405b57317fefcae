# Two commands set everything up on a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501
# This machine only by default: serving the city's network is a decision (behind TLS, docs/deploy.md), not a
# side effect of trying the dashboard: `make run ADDRESS=0.0.0.0`.
ADDRESS ?= 127.0.0.1

.PHONY: run test build check bench clean

$(BIN)/cityidx: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m compileall -q --invalidation-mode checked-hash pipelines dashboard  # as pip does for a wheel
	touch $@

build: $(BIN)/cityidx
	$(BIN)/cityidx build

check: $(BIN)/cityidx
	$(BIN)/cityidx check

run: build
	$(BIN)/streamlit run dashboard/app.py --server.address $(ADDRESS) --server.port $(PORT) --server.headless true

# PYTHONDONTWRITEBYTECODE emptied for the suite (as the install step above writes the project's bytecode anyway):
# pytest keeps the test modules and its plugins' modules rewritten for its assertions beside them, instead of every
# worker rewriting them at every run (~3.3 s of CPU per worker after the first run).
test: $(BIN)/cityidx
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n auto

bench: $(BIN)/cityidx
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) data/warehouse/*.duckdb
