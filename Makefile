# Two commands for a newcomer: `make demo` and `make test`. Both set up a virtualenv first.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup demo test validate clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Until the synthetic national extract lands, the demo runs every indicator on its golden
# fixture (a small hand-made dataset) and prints the results as a table.
demo: setup
	$(BIN)/indicators validate
	$(BIN)/indicators test
	@for f in fixtures/*.yaml; do \
	  id=$$(basename $$f .yaml); \
	  $(BIN)/indicators run --data $$f --indicator $$id --period 2018 || exit 1; \
	  echo; \
	done

validate: setup
	$(BIN)/indicators validate

test: setup
	$(BIN)/indicators validate
	$(BIN)/indicators test
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis *.egg-info
