# Tandem: the two commands that matter are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.tandem-installed
PACKAGES := -e libs/common -e services/profiles -e services/matching
PACKAGE_FILES := constraints.txt requirements-dev.txt libs/common/pyproject.toml \
	services/profiles/pyproject.toml services/matching/pyproject.toml

.PHONY: install run test test-unit lint format bench demo clean asyncapi

install: $(STAMP)

$(STAMP): $(PACKAGE_FILES)
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Tandem needs Python 3.11 or newer")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt $(PACKAGES) -r requirements-dev.txt
	touch $(STAMP)

run: install
	exec $(BIN)/tandem up

demo: install
	$(BIN)/tandem up --demo

test: install
	$(BIN)/python -m pytest -p no:cacheprovider -q

test-unit: install
	$(BIN)/python -m pytest -p no:cacheprovider -q tests/unit

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy services/profiles/src/tandem_profiles/domain services/matching/src/tandem_matching/engine

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

asyncapi: install
	$(BIN)/tandem asyncapi --out docs/asyncapi.yaml

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf .tandem $(VENV)
