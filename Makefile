# The README's commands. Everything runs inside .venv, which these targets create.
#   make demo   create the environment, build the demo workspace, run the full assessment notebook on it
#               headlessly (`nbsec run`), print the summary and where the HTML report is
#   make test   install what the tests need and run every test
#   make lab    install JupyterLab and open the assessment notebooks in it, set to the demo workspace
#   make bench  run the speed measurements in benchmarks/
#   make peers  nbsec beside picklescan, modelscan, fickling, bandit and detect-secrets on their own test suites

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt
DEMO   ?= nbsec-demo
# Outputs of `make demo` and the notebooks `make lab` opens: outside the workspace, so a rerun never
# assesses its own reports (.nbsec/ is git-ignored; the run history is .nbsec/runs.db).
DEMO_REPORT := .nbsec/demo-report
LAB_DIR     := .nbsec/lab

# rfc3987-syntax (pulled in through jupyter-events) adds 3-5 s to every process that imports
# jsonschema, so to nbformat, papermill and Jupyter (docs/development.md); nothing needs it.
UNINSTALL_SLOW_IMPORTS := $(PY) -m pip uninstall -y -q rfc3987-syntax 2>/dev/null || true

# torch on a small machine spin-waits with more than one thread (docs/development.md).
export OMP_NUM_THREADS := 1

.PHONY: demo test lab bench peers lint clean

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

# The demo models and the adversarial notebook need torch (2.13.0, the CPU build: constraints.txt).
$(VENV)/.torch: $(VENV)/.core
	$(PIP) -e ".[torch]"
	$(UNINSTALL_SLOW_IMPORTS)
	touch $@

$(VENV)/.lab: $(VENV)/.torch
	$(PIP) -e ".[lab]"
	$(UNINSTALL_SLOW_IMPORTS)
	touch $@

# `nbsec run` executes the notebook in a kernel of the interpreter it runs under (.venv's python),
# so no kernelspec needs installing. Exit 1 means "findings": expected, the demo has them.
demo: $(VENV)/.torch
	$(VENV)/bin/nbsec demo $(DEMO) --no-scan
	$(VENV)/bin/nbsec run full_assessment -p workspace $(DEMO) -p llm_target demo -o $(DEMO_REPORT) \
		--format html,json,sarif,junit,md --name demo || test $$? -eq 1
	@echo "executed notebook: $(abspath $(DEMO_REPORT))/full_assessment.ipynb"

test: $(VENV)/.dev
	scripts/ensure-chromium.sh
	$(PY) -m pytest -q

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check nbsec tests benchmarks
	$(VENV)/bin/mypy

# A kernel starts in its notebook's folder, so the notebooks open as copies whose parameters
# (papermill --prepare-only) point at the demo workspace by absolute path; notebooks/ stays untouched.
lab: $(VENV)/.lab
	$(VENV)/bin/nbsec demo $(DEMO) --no-scan
	mkdir -p $(LAB_DIR)
	for nb in notebooks/*.ipynb; do \
		$(VENV)/bin/papermill --prepare-only "$$nb" "$(LAB_DIR)/$$(basename $$nb)" -p workspace "$(abspath $(DEMO))" || exit 1; \
	done
	$(VENV)/bin/jupyter lab --ip=127.0.0.1 --notebook-dir=$(LAB_DIR) $(if $(filter 0,$(shell id -u)),--allow-root,)

bench: $(VENV)/.dev
	$(PY) benchmarks/run.py

# The five peers' own test suites as corpora (benchmarks/peer_corpora.py): PEERS_SRC holds their source
# trees (picklescan/, modelscan/, fickling/, bandit/, detect-secrets/); the peers get a venv of their own.
PEERS_SRC ?= peers-src
peers: $(VENV)/.dev
	$(PY) benchmarks/peer_corpora.py --sources $(PEERS_SRC)

clean:
	rm -rf $(VENV) $(DEMO) build dist .pytest_cache .mypy_cache .ruff_cache
