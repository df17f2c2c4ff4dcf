# alignkg — two commands on a fresh machine: `make demo` and `make test`.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test setup bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -m venv $(VENV) || { echo "make: '$(PYTHON) -m venv' failed; on Debian or Ubuntu: apt-get install python3-venv" >&2; exit 1; }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	@echo "Overview map (the proposals and what they most rest on; render --all for the whole graph):"
	@$(PY) cli.py render
	@echo "Focused maps: around relaxed adversarial training; proposals 2 and 9 compared; what if HCH fails:"
	@$(PY) cli.py render --focus "relaxed adversarial training"
	@$(PY) cli.py render --compare "proposal 2" "proposal 9"
	@$(PY) cli.py render --what-if HCH
	@echo "Open them in a browser; they work offline. The overview:"
	@echo "  file://$(CURDIR)/output/alignkg-map.html"

test: $(STAMP)
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) bench/startup.py
	$(PY) bench/map_render.py

clean:
	rm -rf $(VENV) output/*.html
