# The README's commands. Everything runs inside .venv, which these targets create.
#   make demo   create the environment, build the demo workspace, scan it, print where the report is
#   make test   install what the tests need and run every test
#   make lab    install JupyterLab and open the demo workspace in it
#   make bench  run the speed measurements in benchmarks/

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt
DEMO   ?= nbsec-demo

# rfc3987-syntax (pulled in through jupyter-events) adds 3-5 s to every process that imports
# jsonschema, so to nbformat, papermill and Jupyter (toolchain.md); nothing needs it.
UNINSTALL_SLOW_IMPORTS := $(PY) -m pip uninstall -y -q rfc3987-syntax 2>/dev/null || true

# torch on a small machine spin-waits with more than one thread (toolchain.md).
export OMP_NUM_THREADS := 1

.PHONY: demo test lab bench lint clean

$(VENV)/.core: pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) -e .
	# An editable install compiles nothing; without .pyc files (PYTHONDONTWRITEBYTECODE is common in
	# CI) every `nbsec` start recompiles the package, ~0.1 s.
	$(PY) -m compileall -q nbsec
	$(UNINSTALL_SLOW_IMPORTS)
	touch $@

# Tests build real checkpoints with torch (2.13.0, pinned in constraints.txt: the CPU build).
$(VENV)/.dev: $(VENV)/.core
	$(PIP) -e ".[dev,torch,dask]"
	$(UNINSTALL_SLOW_IMPORTS)
	touch $@

$(VENV)/.lab: $(VENV)/.core
	$(PIP) -e ".[lab]"
	$(UNINSTALL_SLOW_IMPORTS)
	touch $@

demo: $(VENV)/.core
	$(VENV)/bin/nbsec demo $(DEMO)

test: $(VENV)/.dev
	scripts/ensure-chromium.sh
	$(PY) -m pytest -q

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check nbsec tests benchmarks
	$(VENV)/bin/mypy

lab: $(VENV)/.lab
	$(VENV)/bin/nbsec demo $(DEMO) --no-scan
	$(VENV)/bin/jupyter lab --ip=127.0.0.1 --notebook-dir=$(DEMO) $(if $(filter 0,$(shell id -u)),--allow-root,)

bench: $(VENV)/.dev
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) $(DEMO) build dist .pytest_cache .mypy_cache .ruff_cache
