# ocp.registry: the two commands are `make demo` (the main job on the simulator) and `make test` (everything).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
PYENV_ROOT ?= $(HOME)/.pyenv
PYTHON312 ?= $(firstword $(wildcard $(PYENV_ROOT)/versions/3.12*/bin/python3.12) $(shell command -v python3.12 2>/dev/null))
VENV ?= .venv
VENV312 ?= .venv312
PYTEST_WORKERS ?= 2
PY := $(VENV)/bin/python
# The checkout seen as ansible_collections/ocp/registry (the root conftest.py builds the same link).
COLLECTIONS := $(abspath .cache/collections)
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)

.PHONY: help venv venv312 demo test test-pytest test-unit sanity units lint molecule build-check changelog-lint \
        test-py312 bench clean

help:
	@echo "make demo   - start the simulator and a registry, run playbooks/demo.yml against them, show the result"
	@echo "make test   - every test: pytest (unit, simulator, integration, reliability), ansible-test sanity+units,"
	@echo "              ansible-lint, Molecule, galaxy build/install; also on Python 3.12 when pyenv has it"
	@echo "make bench  - regenerate benchmarks/README.md"

$(VENV)/.stamp: tests/requirements.txt requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -U pip
	$(PY) -m pip install -q -r tests/requirements.txt
	touch $@

venv: $(VENV)/.stamp $(COLLECTIONS)/ansible_collections/ocp/registry

$(COLLECTIONS)/ansible_collections/ocp/registry:
	mkdir -p $(dir $@) && ln -sfn $(abspath .) $@

$(VENV312)/.stamp: tests/requirements.txt
	$(PYTHON312) -m venv $(VENV312)
	$(VENV312)/bin/python -m pip install -q -U pip
	$(VENV312)/bin/python -m pip install -q 'ansible-core>=2.21' pytest pytest-xdist pytest-timeout cryptography PyYAML jmespath
	touch $@

venv312: $(VENV312)/.stamp

demo: venv
	$(PY) tests/tools/demo.py

test: venv
	@rm -rf .cache/reports; set -o pipefail; status=0; \
	for step in test-pytest sanity units lint changelog-lint build-check molecule test-py312; do \
	  echo "=== $$step"; \
	  if ! $(MAKE) --no-print-directory $$step; then echo "FAILED: $$step"; status=1; fi; \
	done; \
	$(PY) tests/tools/summary.py || status=1; \
	exit $$status

# pytest exits 5 when no test ran; that is a failure here, as every other non-zero code.
# tests/unit runs under ansible-test units (3.11 here, 3.12 in test-py312); `make test-unit` runs it with pytest.
test-pytest: venv
	mkdir -p .cache/reports && $(PY) -m pytest -n $(PYTEST_WORKERS) --timeout 600 -p no:cacheprovider \
	  --junitxml=.cache/reports/pytest.xml --ignore=tests/unit tests

test-unit: venv
	$(PY) -m pytest -n $(PYTEST_WORKERS) -p no:cacheprovider tests/unit

sanity: venv
	tests/tools/ansible_test.sh $(abspath $(VENV)) 3.11 sanity

units: venv
	tests/tools/ansible_test.sh $(abspath $(VENV)) 3.11 units --requirements

lint: venv
	PATH=$(abspath $(VENV))/bin:$$PATH $(VENV)/bin/ansible-lint

changelog-lint: venv
	$(VENV)/bin/antsibull-changelog lint

build-check: venv
	$(PY) tests/tools/build_check.py

molecule: venv
	$(PY) tests/tools/molecule_all.py

test-py312:
	@if [ -z "$(PYTHON312)" ]; then echo "Python 3.12 not found: skipping the newest ansible-core run"; exit 0; fi; \
	$(MAKE) --no-print-directory venv312 && \
	tests/tools/ansible_test.sh $(abspath $(VENV312)) 3.12 sanity && \
	tests/tools/ansible_test.sh $(abspath $(VENV312)) 3.12 units --requirements

bench: venv
	$(PY) benchmarks/run.py

clean:
	rm -rf .cache .pytest_cache tests/output *.tar.gz
