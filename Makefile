# Two commands do everything on a fresh machine: `make run` and `make test`.
# Both bootstrap .venv with Python 3.10 and the pinned dependencies first (idempotent).
SHELL := /bin/bash
VENV  ?= .venv
PY    := $(VENV)/bin/python

.PHONY: run test bootstrap train chat lint typecheck ci clean

bootstrap:
	@tools/bootstrap.sh $(VENV)

run: bootstrap
	@$(PY) -m bot run

test: bootstrap
	@$(PY) -m pytest $(PYTEST_ARGS)

train: bootstrap
	@$(PY) -m bot train

chat: bootstrap
	@$(PY) -m bot chat

lint: bootstrap
	@$(PY) -m ruff check .

typecheck: bootstrap
	@$(PY) -m mypy safety

ci:
	@.ci/run

clean:
	rm -rf var .rasa .pytest_cache .mypy_cache .ruff_cache
