# The two set-up commands of the README. Each creates the virtual environment on first
# use (or when pyproject.toml changes) and reuses it afterwards.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: test demo lint typecheck

# mypy cannot follow the package-dir mapping of an editable install, so it reads the
# three packages through a small link tree that has the installed layout.
typecheck: $(VENV)/.installed
	mkdir -p .typecheck/paycore
	for p in domain adapters projections; do ln -sfn ../../$$p .typecheck/paycore/$$p; done
	MYPYPATH=.typecheck $(PY) -m mypy -p paycore.domain -p paycore.adapters -p paycore.projections -p benchmarks

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

test: lint
	$(PY) -m pytest $(PYTEST_ARGS)

# The README's main job: a day of business on the embedded SQLite store (paycore.db),
# against the sandbox on a loopback port.
demo: $(VENV)/.installed
	$(VENV)/bin/paycore demo --fresh

lint: typecheck
	$(PY) -m ruff check domain adapters projections tests benchmarks
