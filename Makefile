# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
# Each creates the virtualenv it needs from pyproject.toml pinned by constraints.txt.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SPEC   ?= specs/fraud-detection.yaml

export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo test unit lint typecheck regen bench schema clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

## demo: validate every reference spec, then build and plan one (SPEC=...)
demo: $(STAMP)
	$(BIN)/mlopsgen validate specs/*.yaml
	$(BIN)/mlopsgen plan $(SPEC)
	$(BIN)/mlopsgen build $(SPEC) --out build/demo

## test: lint, type-check, then the whole test suite (fast unit tests first)
test: $(STAMP) lint typecheck
	$(BIN)/pytest -q -m "not slow" -p no:cacheprovider
	$(BIN)/pytest -q -m "slow" -p no:cacheprovider; rc=$$?; [ $$rc -eq 5 ] && rc=0; exit $$rc

lint: $(STAMP)
	$(BIN)/ruff check compiler tests bench
	$(BIN)/ruff format --check compiler tests bench

# mypy finds the package by its import name through a link: compiler/ installs as `mlopsgen`.
typecheck: $(STAMP)
	mkdir -p build/typecheck && ln -sfn ../../compiler build/typecheck/mlopsgen
	MYPYPATH=build/typecheck $(BIN)/mypy -p mlopsgen

## regen: rebuild the committed golden record generated/<system>/ from specs/
regen: $(STAMP)
	for spec in specs/*.yaml; do $(BIN)/mlopsgen build $$spec --force || exit 1; done
	$(BIN)/mlopsgen schema > specs/schema.json

schema: $(STAMP)
	$(BIN)/mlopsgen schema > specs/schema.json

bench: $(STAMP)
	$(BIN)/python bench/compile.py

clean:
	rm -rf $(VENV) build dist *.egg-info
