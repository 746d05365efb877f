# Two commands for a newcomer: `make demo` and `make test`. Each sets up everything it needs.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
DEMO_PORT ?= 8866
# `make workshop`: the class's notebook, how many students arrive at once, the address.
LESSON ?= examples/dashboard.ipynb
STUDENTS ?= 30
WORKSHOP_IP ?= 0.0.0.0

.PHONY: demo workshop test setup setup-dev js lint test-python test-js test-browser benchmarks clean

$(PY):
	python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

# The package (with its esbuild bundle) plus what the demo needs.
$(VENV)/.setup-demo: $(PY) pyproject.toml package.json node_modules/.package-lock.json
	$(PIP) install --quiet -e ".[demo]"
	touch $@

$(VENV)/.setup-dev: $(VENV)/.setup-demo
	$(PIP) install --quiet -e ".[dev]"
	touch $@

setup: $(VENV)/.setup-demo
setup-dev: $(VENV)/.setup-dev chromium

js: node_modules/.package-lock.json
	npm run build

# Debian's Chromium for the browser tests (Playwright cannot download browsers here).
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = "0" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "Install Debian's chromium (sudo apt-get install chromium) for the browser tests"; exit 1; fi; \
	fi

demo: setup js
	$(VENV)/bin/jaxgrad-widgets serve examples/dashboard.ipynb --port $(DEMO_PORT)

# One Voilà server for a class (see `jaxgrad-widgets serve --help` and the README).
workshop: setup js
	$(VENV)/bin/jaxgrad-widgets serve $(LESSON) --students $(STUDENTS) --ip $(WORKSHOP_IP) \
		--port $(DEMO_PORT)

lint: $(VENV)/.setup-dev
	$(VENV)/bin/ruff check jaxgrad_widgets tests benchmarks examples docs deploy
	$(VENV)/bin/ruff format --check jaxgrad_widgets tests benchmarks examples docs deploy

test-js: node_modules/.package-lock.json
	npm run typecheck
	npm test

test-python: setup-dev js
	$(VENV)/bin/pytest tests -m "not browser"

test-browser: setup-dev js
	$(VENV)/bin/pytest tests -m browser

# Lint, the JS tests, then every Python test (headless and real-browser); ends with pytest's summary.
test: setup-dev js lint test-js
	$(VENV)/bin/pytest tests

benchmarks: setup-dev js
	$(PY) benchmarks/engine.py
	$(PY) benchmarks/latency.py
	$(PY) benchmarks/families.py --browser
	$(PY) benchmarks/curvature.py
	$(PY) benchmarks/workshop.py
	$(PY) benchmarks/dead_kernel.py
	$(PY) benchmarks/fitting_scale.py
	$(PY) benchmarks/responsiveness.py
	$(PY) benchmarks/long_session.py
	$(PY) benchmarks/rerun_cells.py

clean:
	rm -rf $(VENV) node_modules jaxgrad_widgets/static .pytest_cache .ruff_cache
