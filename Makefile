# The two set-up commands of the README. Each creates the virtual environment on first
# use (or when pyproject.toml changes) and reuses it afterwards.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=
# What the project's own environments hold: paycore with every extra, and the dev group
# (the tools and the host example's FastAPI; never in the published metadata).
INSTALL := -e '.[postgres,server,telemetry,testing]' --group dev
# The Pythons paycore supports; `make versions` runs a fast subset on each.
PYTHONS ?= 3.11 3.12 3.13
VERSIONS_TESTS ?= tests/domain -k "not sqlite and not postgres"
VERSIONS_PROFILE ?= dev

.PHONY: test demo lint typecheck versions

# mypy cannot follow the package-dir mapping of an editable install, so it reads the
# three packages through a small link tree that has the installed layout.
typecheck: $(VENV)/.installed
	mkdir -p .typecheck/paycore
	for p in domain adapters projections; do ln -sfn ../../$$p .typecheck/paycore/$$p; done
	MYPYPATH=.typecheck $(PY) -m mypy -p paycore.domain -p paycore.adapters -p paycore.projections -p benchmarks
	MYPYPATH=.typecheck $(PY) -m mypy examples tests/domain/typed_async_core.py

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(INSTALL)
	touch $@

test: lint
	$(PY) -m pytest $(PYTEST_ARGS)

# The README's main job: a day of business on the embedded SQLite store (paycore.db),
# against the sandbox on a loopback port.
demo: $(VENV)/.installed
	$(VENV)/bin/paycore demo --fresh

lint: typecheck
	$(PY) -m ruff check domain adapters projections tests benchmarks examples

# The domain tests on memory:// under each supported Python (hypothesis's dev profile:
# a fast subset), a virtual environment per version beside VENV. An interpreter comes from pyenv if it has one, else from PATH.
versions:
	set -e; for v in $(PYTHONS); do \
		py=$$(ls -d $$HOME/.pyenv/versions/$$v.*/bin/python$$v 2>/dev/null | sort -V | tail -n 1); \
		venv="$(VENV)-py$$v"; \
		if [ ! -f "$$venv/.installed" ]; then \
			"$${py:-python$$v}" -m venv "$$venv"; \
			"$$venv/bin/python" -m pip install --quiet --upgrade pip; \
			"$$venv/bin/python" -m pip install --quiet $(INSTALL); \
			touch "$$venv/.installed"; \
		fi; \
		HYPOTHESIS_PROFILE=$(VERSIONS_PROFILE) "$$venv/bin/python" -m pytest -q -p no:cacheprovider $(VERSIONS_TESTS); \
	done

# Mutation testing of the rule and command modules (CONTRIBUTING.md, "Mutation testing"):
# mutmut in a copy of the committed tree with the installed layout, the domain tests on
# memory:// with hypothesis's dev profile. `make mutation FILE=domain/money.py` runs one
# file. CI runs a fixed sample instead (tests/mutation/run.py --sample).
FILE ?=
.PHONY: mutation
mutation: $(VENV)/.installed
	nice -n 15 $(PY) tests/mutation/run.py $(FILE)
