# Tandem: the two commands that matter are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.tandem-installed
# Every package of the checkout: each folder under libs/ and services/ that has a
# pyproject.toml. A new service (or library) is installed by the next make target.
PACKAGE_DIRS := $(sort $(patsubst %/pyproject.toml,%,$(wildcard libs/*/pyproject.toml services/*/pyproject.toml)))
PACKAGES := $(foreach dir,$(PACKAGE_DIRS),-e $(dir))
PACKAGE_FILES := constraints.txt requirements-dev.txt $(addsuffix /pyproject.toml,$(PACKAGE_DIRS))
# mypy finds imports in every package's src/ and checks the pure packages strictly:
# each service's domain/ and the matching engine/.
empty :=
space := $(empty) $(empty)
MYPY_PATH := $(subst $(space),:,$(wildcard $(addsuffix /src,$(PACKAGE_DIRS))))
# Every package's importable code is type-checked, strictly (the root pyproject.toml).
SOURCE_PACKAGES := $(filter-out %.egg-info,$(wildcard $(addsuffix /src/tandem_*,$(PACKAGE_DIRS))))

.PHONY: install run test test-unit lint format bench demo clean asyncapi deploy-files

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
	MYPYPATH=$(MYPY_PATH) $(BIN)/mypy $(SOURCE_PACKAGES)

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

asyncapi: install
	$(BIN)/tandem asyncapi --out docs/asyncapi.yaml

# The services' parts of deploy/ (Compose, PostgreSQL init, Helm values), from their specs.
deploy-files: install
	$(BIN)/python -m tandem_common.deploy_files

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf .tandem $(VENV)
