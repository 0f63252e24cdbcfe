# The README's two set-up commands are `make run` and `make test`; both create .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint bench shell clean fuzz

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

# `make run NOW=2023-05-10T10:00+08:00` (or `make shell NOW=…`): the shell at that moment.
WITH_NOW = $(if $(NOW),ZHAOLU_NOW='$(NOW)' ,)

run: $(STAMP)
	$(WITH_NOW)$(BIN)/zhaolu run

shell: $(STAMP)
	$(WITH_NOW)$(BIN)/zhaolu shell

lint: $(STAMP)
	$(BIN)/ruff check .

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

# 20,000 random updates (tests/fuzz.py) with a random seed, printed on failure; SEED=N repeats one.
fuzz: $(STAMP)
	$(BIN)/python -m tests.fuzz --updates $(or $(UPDATES),20000) $(if $(SEED),--seed $(SEED))

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
