# hookhub — two commands do all set-up on a fresh machine:
#   make run    create .venv, install, serve config/hookhub.yaml (SQLite store)
#   make test   create .venv, install test extras, run the whole suite
PYTHON ?= python3
VENV   ?= .venv
CONFIG ?= config/hookhub.yaml
BIN     = $(VENV)/bin

.PHONY: run test check bench clean

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

run: $(BIN)/.installed
	$(BIN)/hookhub serve --config $(CONFIG) --dev

check: $(BIN)/.installed
	$(BIN)/hookhub check --config $(CONFIG) --dev

test: $(BIN)/.installed
	$(BIN)/python -m pytest

bench: $(BIN)/.installed
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
