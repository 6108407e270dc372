# The README's commands. Everything runs inside .venv, which these targets create.
#   make demo   create the environment, build the demo workspace, run the full assessment notebook on it
#               headlessly (`nbsec run`), print the summary and where the HTML report is
#   make test   install what the tests need and run every test
#   make lab    install JupyterLab with nbsec's extension and open the assessment notebooks, set to the demo workspace
#   make labextension  build the JupyterLab extension (TypeScript; needs Node.js 20) and link it into .venv
#   make wheel  a wheel with the prebuilt extension inside (installing it needs no Node)
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

.PHONY: demo test lab labextension wheel bench peers lint clean

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

# The JupyterLab extension (labextension/, TypeScript). Only `make lab`, `make test` and `make wheel` build it:
# `make demo` is headless and needs no Node. jlpm is JupyterLab's own yarn, in .venv with jupyterlab.
# The build goes to nbsec/labextension/; `jupyter-builder develop` (JupyterLab 4.6's `jupyter labextension
# develop`) links it into .venv/share/jupyter.
LABEXT_BUILT := nbsec/labextension/package.json
LABEXT_DEPS  := labextension/node_modules/.yarn-state.yml
LABEXT_SRC   := $(wildcard labextension/src/*.ts) $(wildcard labextension/style/*) labextension/schema/plugin.json \
	labextension/package.json labextension/tsconfig.json
JLPM := ../$(VENV)/bin/jlpm

$(VENV)/bin/jlpm: $(VENV)/.core
	$(PIP) "jupyterlab>=4.2,<5"
	$(UNINSTALL_SLOW_IMPORTS)
	touch $@

# jlpm's install prints a line per package: kept in a log, shown when it fails.
$(LABEXT_DEPS): labextension/package.json labextension/yarn.lock $(VENV)/bin/jlpm
	cd labextension && ($(JLPM) install --immutable > ../$(VENV)/jlpm-install.log 2>&1 \
		|| (tail -40 ../$(VENV)/jlpm-install.log; echo "jlpm install failed: full log in $(VENV)/jlpm-install.log"; exit 1))

$(LABEXT_BUILT): $(LABEXT_DEPS) $(LABEXT_SRC)
	cd labextension && PATH="$(abspath $(VENV))/bin:$$PATH" $(JLPM) build:prod

$(VENV)/.labext: $(LABEXT_BUILT)
	PATH="$(abspath $(VENV))/bin:$$PATH" $(VENV)/bin/jupyter-builder develop --overwrite . >/dev/null
	touch $@

labextension: $(VENV)/.labext

wheel: $(LABEXT_BUILT)
	$(PY) -m pip wheel --no-deps --quiet -w dist .
	@ls dist/nbsec-*.whl

# `nbsec run` executes the notebook in a kernel of the interpreter it runs under (.venv's python),
# so no kernelspec needs installing. Exit 1 means "findings": expected, the demo has them.
demo: $(VENV)/.torch
	$(VENV)/bin/nbsec demo $(DEMO) --no-scan
	$(VENV)/bin/nbsec run full_assessment -p workspace $(DEMO) -p llm_target demo -o $(DEMO_REPORT) \
		--format html,json,sarif,junit,md --name demo || test $$? -eq 1
	@echo "executed notebook: $(abspath $(DEMO_REPORT))/full_assessment.ipynb"

test: $(VENV)/.dev $(VENV)/.labext
	scripts/ensure-chromium.sh
	cd labextension && $(JLPM) test --ci
	$(PY) -m pytest -q

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check nbsec tests benchmarks
	$(VENV)/bin/mypy

# `make lab` serves $(LAB_DIR): a demo workspace of its own (demo/), the assessment notebooks as copies whose
# parameters (papermill --prepare-only) point at it by absolute path (assessments/; a kernel starts in its
# notebook's folder), and START_HERE.ipynb, the extension's tour. notebooks/ stays untouched. The demo lives
# inside the server's root because nbsec's server API scans nothing outside it.
lab: $(VENV)/.lab $(VENV)/.labext
	$(VENV)/bin/nbsec demo $(LAB_DIR)/demo --no-scan
	mkdir -p $(LAB_DIR)/assessments
	for nb in notebooks/*.ipynb; do \
		$(VENV)/bin/papermill --prepare-only "$$nb" "$(LAB_DIR)/assessments/$$(basename $$nb)" \
			-p workspace "$(abspath $(LAB_DIR))/demo" || exit 1; \
	done
	$(PY) scripts/lab_tour.py $(LAB_DIR)
	@echo "JupyterLab starts below: open the link it prints; START_HERE.ipynb (left, in the file browser) is the tour."
	$(VENV)/bin/jupyter lab --ip=127.0.0.1 --notebook-dir=$(LAB_DIR) --ServerApp.default_url=/lab/tree/START_HERE.ipynb \
		$(if $(filter 0,$(shell id -u)),--allow-root,)

bench: $(VENV)/.dev
	$(PY) benchmarks/run.py

# The five peers' own test suites as corpora (benchmarks/peer_corpora.py): PEERS_SRC holds their source
# trees (picklescan/, modelscan/, fickling/, bandit/, detect-secrets/); the peers get a venv of their own.
PEERS_SRC ?= peers-src
peers: $(VENV)/.dev
	$(PY) benchmarks/peer_corpora.py --sources $(PEERS_SRC)

clean:
	rm -rf $(VENV) $(DEMO) build dist .pytest_cache .mypy_cache .ruff_cache \
		nbsec/labextension labextension/node_modules labextension/lib labextension/tsconfig.tsbuildinfo
