# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
# Each creates the virtualenv it needs from pyproject.toml pinned by constraints.txt.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SPEC   ?= specs/fraud-detection.yaml

export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo test unit e2e functional stack-env vllm-wheel lint typecheck regen bench bench-serve schema clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

## demo: build, train, serve and call one reference stack (SPEC=...), then stop the service
# The stack goes to build/demo (never the committed golden record under generated/); its
# environment is created once and then found by the hash of its pins.
demo: $(STAMP)
	$(BIN)/mlopsgen up $(SPEC) --once --out build/demo/$(basename $(notdir $(SPEC)))

## test: lint, type-check, then every test tier (functional, unit, e2e: the longest tier last)
test: lint typecheck functional unit e2e

# One tier alone. A tier with no test module yet says so instead of running pytest on nothing
# (pytest's exit 5 for an empty selection also counts as success).
PYTEST = if ! ls tests/$@/test_*.py >/dev/null 2>&1; then echo "tests/$@: no tests yet"; exit 0; fi; \
	$(BIN)/pytest -q -p no:cacheprovider -m $@ $(PYTEST_ARGS) tests/$@; rc=$$?; [ $$rc -eq 5 ] && rc=0; exit $$rc

## unit: pure functions, in process
unit: $(STAMP)
	$(PYTEST)

## e2e: the compiler as a whole process (CLI, fresh interpreter, wheel, stack Makefiles, pins)
e2e: $(STAMP)
	$(PYTEST)

## functional: generated stacks run for real, in the shared stack environment (stack-env),
## one worker per core (WORKERS=2): each stack process trains on one thread
WORKERS ?= 2
functional: PYTEST_ARGS = -n $(WORKERS) --dist loadgroup
functional: $(STAMP) stack-env vllm-wheel
	$(PYTEST)

## stack-env: build, or find by the hash of its pins, the stack environment functional tests use
# One environment for the tier: every reference stack's pins and lock plus the tests' tools,
# cached under $MLOPSGEN_CACHE (default ~/.cache/mlopsgen), so only a cold cache installs.
# MLOPSGEN_STACK_PYTHON=/path/to/python uses an existing environment instead.
stack-env: $(STAMP)
	@if ls tests/functional/test_*.py >/dev/null 2>&1; then \
		$(BIN)/python -m tests.functional.stack_env >/dev/null; \
	else echo "tests/functional: no tests yet, no stack environment needed"; fi

## vllm-wheel: download vLLM's pinned wheel once (336 MB, no dependencies) for the ast check of
# the engine arguments a language stack builds; cached under $MLOPSGEN_CACHE/vllm (default
# ~/.cache/mlopsgen/vllm), so only a cold cache downloads. MLOPSGEN_VLLM_WHEEL=/path/x.whl
# uses a wheel already at hand instead.
vllm-wheel: $(STAMP)
	@if [ -z "$$MLOPSGEN_VLLM_WHEEL" ]; then $(BIN)/python tests/functional/vllm_args.py fetch >/dev/null; fi

lint: $(STAMP)
	$(BIN)/ruff check compiler tests bench
	$(BIN)/ruff format --check compiler tests bench

# mypy finds the package by its import name through a link: compiler/ installs as `mlopsgen`.
typecheck: $(STAMP)
	mkdir -p build/typecheck && ln -sfn ../../compiler build/typecheck/mlopsgen
	MYPYPATH=build/typecheck $(BIN)/mypy -p mlopsgen

## regen: rebuild the committed golden record generated/<system>/ from specs/ and specs/llm/
regen: $(STAMP)
	for spec in specs/*.yaml specs/llm/*.yaml; do $(BIN)/mlopsgen build $$spec --force || exit 1; done
	$(BIN)/mlopsgen schema > specs/schema.json

schema: $(STAMP)
	$(BIN)/mlopsgen schema > specs/schema.json

## bench: speed targets (compile, hostile-input rejection, planning); results in bench/results/
bench: $(STAMP)
	$(BIN)/python bench/compile.py
	$(BIN)/python bench/reject_and_plan.py

## bench-serve: the fraud service's highest rate under its SLO against a FastAPI baseline
## (minutes: it trains, exports and load-tests both servers); bench/results/serve.json
bench-serve: $(STAMP)
	$(BIN)/python bench/serve.py

clean:
	rm -rf $(VENV) build dist *.egg-info
