# The two set-up commands of the README. Each creates the virtual environment on first
# use (or when pyproject.toml changes) and reuses it afterwards.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: test demo lint

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

test: $(VENV)/.installed
	$(PY) -m ruff check domain adapters projections tests
	$(PY) -m mypy
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(PY) -m ruff check domain adapters projections tests
	$(PY) -m mypy
