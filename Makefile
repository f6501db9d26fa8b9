# The two set-up commands of the README: `make preview` and `make test`.
# Both create .venv from requirements.txt when it is missing or older than requirements.txt.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STACK ?= staging
CHECKOV_VENV := .venv-checkov
CHECKOV_VERSION := 3.3.30

.PHONY: preview test lint typecheck generate checkov-venv pack-venv clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

# checkov pins packaging/boto3 versions that conflict with the Pulumi SDK: its own virtualenv.
$(CHECKOV_VENV)/.installed:
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install --quiet checkov==$(CHECKOV_VERSION)
	touch $@

checkov-venv: $(CHECKOV_VENV)/.installed

preview: $(VENV)/.installed
	$(PY) -m offline preview $(STACK)

# Every generated file (docs/config.md, docs/policies.md, golden reports); the tests fail when one is stale.
generate: $(VENV)/.installed
	$(PY) -m offline generate

lint: $(VENV)/.installed
	$(PY) -m ruff check .

typecheck: $(VENV)/.installed
	$(PY) -m mypy

test: $(VENV)/.installed checkov-venv lint typecheck
	$(PY) -m pytest -n 2 -q

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) $(PACK_VENV) .pytest_cache .mypy_cache .ruff_cache

# The policy pack's own virtualenv, where policies/PulumiPolicy.yaml says the CLI looks for it
# (`virtualenv: venv`, relative to the pack): what `pulumi preview --policy-pack policies` runs.
PACK_VENV := policies/venv

$(PACK_VENV)/.installed: policies/requirements.txt
	$(PYTHON) -m venv $(PACK_VENV)
	$(PACK_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(PACK_VENV)/bin/python -m pip install --quiet -r policies/requirements.txt
	touch $@

pack-venv: $(PACK_VENV)/.installed
