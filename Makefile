# The two commands of the README. Both install everything first (idempotent).
VENV ?= .venv
PY := $(VENV)/bin/python
NLC := $(VENV)/bin/nlc-bench
STAMP := $(VENV)/.installed
DEMO ?= demo-output

.PHONY: install demo test typecheck clean

install: $(STAMP)

$(STAMP): pyproject.toml scripts/install-system-deps.sh
	bash scripts/install-system-deps.sh
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

demo: install
	bash scripts/demo.sh $(DEMO)

test: install
	$(PY) -m pytest

typecheck: install
	$(PY) scripts/typecheck.py

clean:
	rm -rf $(DEMO) .pytest_cache
