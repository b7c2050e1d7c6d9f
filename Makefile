# Two commands do everything on a fresh Debian/Ubuntu machine with Python 3.11:
#   make run    set up, then serve the dashboard on the bundled data (http://127.0.0.1:8501)
#   make test   set up (incl. Chromium + CJK fonts), then run the whole test suite
#   make serve-multi  two app processes behind nginx (sticky sessions) on the bundled data, port $(PORT)
PY ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8501
STAMP := $(VENV)/.installed

.PHONY: run test system venv bench load serve-multi clean
$(STAMP): requirements.txt requirements-dev.txt constraints.txt pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.txt -r requirements-dev.txt -c constraints.txt
	$(BIN)/pip install -q --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)

system:
	bash scripts/setup-system.sh

run: system $(STAMP)
	$(BIN)/streamlit run app.py --server.address=127.0.0.1 --server.port=$(PORT) --browser.gatherUsageStats=false

test: system $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m perfeval_dash bench

serve-multi: system $(STAMP)
	$(BIN)/python -m perfeval_dash.bench.serve --processes 2 --port $(PORT) --data-dir data

load: system $(STAMP)
	$(BIN)/python -m perfeval_dash load

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
