# Dreaming and Sampling: the commands the README promises.
#   make book   build the website into _build/html (and say where to open it)
#   make test   run every test: unit, doctests, nbval strict, browser, assignments
#   make execute  re-execute notebooks in place (refresh stored outputs)
#   make lab    open the notebooks in JupyterLab
#   make bench  run the performance benchmarks
# Everything is installed into .venv with the exact pins of constraints.txt.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: setup book test test-unit test-notebooks test-browser test-assignments execute lab bench clean

setup: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt constraints.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt -c constraints.txt
	$(PY) -m pip install --quiet --no-deps -e .
	# build matplotlib's font cache now, so no notebook prints that it did
	MPLBACKEND=Agg $(PY) -c "import matplotlib.pyplot"
	touch $(STAMP)

# Launch buttons: make book REPO=https://github.com/<you>/<fork> [BRANCH=main] [HUB=https://your.hub]
book: setup
	$(PY) tools/build_book.py $(if $(REPO),--repo "$(REPO)" --branch "$(or $(BRANCH),main)") $(if $(HUB),--hub "$(HUB)")

test: test-unit test-notebooks test-browser test-assignments

test-unit: setup
	$(VENV)/bin/ruff check dreambook tests scripts benchmarks tools
	$(PY) -m pytest -q tests/unit $(wildcard tests/results) dreambook --doctest-modules

test-notebooks: setup
	$(PY) -m pytest -q --nbval book --nbval-sanitize-with tests/nbval_sanitize.cfg

test-browser: book
	$(PY) -m pytest -q tests/browser

test-assignments: book
	$(PY) -m pytest -q tests/assignments

execute: setup
	$(PY) tools/execute_notebooks.py

lab: setup
	$(VENV)/bin/jupyter lab book/

bench: setup
	$(PY) -m benchmarks

clean:
	rm -rf _build _vendor
