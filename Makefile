# Quick start: `make demo` and `make test` on a fresh Debian machine with Python 3.11.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-quick venv sysdeps bench fixtures clean lint fuzz

$(STAMP): pyproject.toml
	PYTHON=$(PYTHON) bash scripts/sysdeps.sh test
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip "setuptools>=77" wheel
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	rm -f demo-case.db demo-case.db-wal demo-case.db-shm demo-report.html
	$(BIN)/triage scan fixtures/images/demo.raw --case demo-case.db --examiner "Demo Examiner"
	$(BIN)/triage report demo-case.db -o demo-report.html

test: $(STAMP)
	$(BIN)/python -m pytest -q

# a quick loop while working: everything but the tests marked slow (tests/conftest.py)
test-quick: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow"

lint: $(STAMP)
	$(BIN)/python -m ruff check .
	$(BIN)/python -m mypy

# the mutation suite of make test with many more seeds (SEEDS=N, FIRST_SEED=K to go on from a run)
fuzz: $(STAMP)
	TRIAGE_MUTATION_SEEDS=$(or $(SEEDS),100) TRIAGE_MUTATION_FIRST_SEED=$(or $(FIRST_SEED),0) \
		$(BIN)/python -m pytest -q tests/evidence/test_mutations.py

bench: $(STAMP)
	PYTHON=$(PYTHON) bash scripts/sysdeps.sh bench
	$(BIN)/python bench/run

fixtures:
	bash scripts/sysdeps.sh fixtures
	bash fixtures/build.sh

clean:
	rm -rf $(VENV) demo-case.db demo-case.db-wal demo-case.db-shm demo-report.html build *.egg-info
