# Dreaming and Sampling: the commands the README promises.
#   make book   build the website into _build/html (and say where to open it)
#   make test   run every test: unit, doctests, nbval strict, browser, assignments,
#               and nbval + tests/results again under other numeric configurations
#   make execute  re-execute notebooks in place (refresh stored outputs)
#   make lab    open the notebooks in JupyterLab
#   make bench  run the performance benchmarks
#   make pdf    build the book as a PDF (xelatex) into _build/latex/dreaming-and-sampling.pdf
# Everything is installed into .venv with the exact pins of constraints.txt.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

TEX_PACKAGES := texlive-latex-extra texlive-xetex texlive-fonts-recommended latexmk fonts-dejavu-core poppler-utils

.PHONY: setup book pdf tex test-pdf test-unit test-notebooks test-browser test-assignments execute lab bench clean
.PHONY: test-numeric test-numeric-portable test-numeric-threads test-numeric-full

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

test: test-unit test-notebooks test-numeric test-pdf test-browser test-assignments
# test-numeric re-runs nbval (strict) and the result tests not marked slow under a portable BLAS
# core with numpy's SIMD dispatch off, and again under two BLAS threads, against the same stored
# outputs (book/numerics.md).

# Two pytest workers (pytest-xdist), one BLAS thread each: the CI machine has two cores.
# Notebooks are sent whole to one worker (--dist loadfile): nbval runs a notebook's cells in order.
JOBS     ?= 2
PARALLEL  = -n $(JOBS) --dist loadfile

test-unit: setup
	$(VENV)/bin/ruff check dreambook tests scripts benchmarks tools
	$(PY) tools/notebook_env.py
	$(PY) -m pytest -q tests/unit $(wildcard tests/results) dreambook --doctest-modules

test-notebooks: setup
	$(PY) tools/notebook_env.py
	$(PY) -m pytest -q $(PARALLEL) --nbval book --nbval-sanitize-with tests/nbval_sanitize.cfg

test-browser: book
	$(PY) -m pytest -q tests/browser

test-assignments: book
	$(PY) -m pytest -q tests/assignments

# TeX from Debian's packages (no texlive-fonts-extra), installed when missing and run as root.
tex:
	@command -v xelatex >/dev/null && command -v latexmk >/dev/null && command -v pdftotext >/dev/null \
	  || { test "$$(id -u)" = 0 && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(TEX_PACKAGES); } \
	  || { echo "install TeX first: sudo apt-get install $(TEX_PACKAGES)"; exit 2; }

pdf: setup tex
	$(PY) tools/build_pdf.py

test-pdf: pdf
	$(PY) -m pytest -q tests/pdf

execute: setup
	$(PY) tools/execute_notebooks.py

lab: setup
	$(VENV)/bin/jupyter lab book/

bench: setup
	$(PY) -m benchmarks

clean:
	rm -rf _build _vendor

# --- Numeric portability (book/numerics.md): every stored output and result test must hold
# under other numeric configurations too. Each stage sets every variable explicitly (a
# machine may preset OPENBLAS_CORETYPE) and prints the configuration in force.
# The result tests marked slow (long reproductions over many seeds, asserted in bands: about
# 11 minutes) run under the default configuration only, in test-unit; make test-numeric-full
# runs them under the portable configuration too.
NUMERIC_NBVAL    = --nbval book --nbval-sanitize-with tests/nbval_sanitize.cfg
NUMERIC_TESTS    = $(PARALLEL) $(NUMERIC_NBVAL) $(wildcard tests/results) -m "not slow"
NUMERIC_CLEAN    = env -u OPENBLAS_CORETYPE -u NPY_DISABLE_CPU_FEATURES -u NPY_ENABLE_CPU_FEATURES -u OPENBLAS_THREAD_TIMEOUT
NUMERIC_PORTABLE = $(NUMERIC_CLEAN) DREAMBOOK_THREADS=1 \
	OPENBLAS_CORETYPE="$$($(PY) tools/notebook_env.py --portable-core)" \
	NPY_DISABLE_CPU_FEATURES="$$($(NUMERIC_CLEAN) $(PY) tools/notebook_env.py --simd-found)"
NUMERIC_THREADS  = $(NUMERIC_CLEAN) DREAMBOOK_THREADS=2 OPENBLAS_THREAD_TIMEOUT=4

test-numeric: test-numeric-portable test-numeric-threads

test-numeric-portable: setup   # a BLAS core for any CPU of the architecture, numpy SIMD dispatch off
	$(NUMERIC_PORTABLE) $(PY) tools/notebook_env.py
	$(NUMERIC_PORTABLE) $(PY) -m pytest -q -p no:cacheprovider $(NUMERIC_TESTS)

test-numeric-full: setup       # the portable stage with every result test, slow ones included
	$(NUMERIC_PORTABLE) $(PY) tools/notebook_env.py
	$(NUMERIC_PORTABLE) $(PY) -m pytest -q -p no:cacheprovider $(PARALLEL) $(NUMERIC_NBVAL) $(wildcard tests/results)

# Two threads (the printed numbers of make lab, Binder and Colab, which do not pin threads): nbval
# and the result tests not marked slow, as in the portable stage. Two workers of two threads on two
# cores: idle OpenBLAS threads would spin for 2**28 cycles and take the other worker's core, so they
# sleep after 2**4 (OPENBLAS_THREAD_TIMEOUT=4 changes how they wait, not what they compute).
test-numeric-threads: setup    # the machine's own BLAS core and SIMD, two threads in every pool
	$(NUMERIC_THREADS) $(PY) tools/notebook_env.py
	$(NUMERIC_THREADS) $(PY) -m pytest -q -p no:cacheprovider $(NUMERIC_TESTS)
