# alignkg — two commands on a fresh machine: `make demo` and `make test`.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test setup bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	@$(PY) cli.py render --force

test: $(STAMP)
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) bench/startup.py
	$(PY) bench/map_render.py

clean:
	rm -rf $(VENV) output/*.html
