# The two commands: `make run` and `make test`. Both set up .venv and the database first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8501

.PHONY: run test setup db bench sample clean browser

# Chromium first, before a minute of pip: installed where this machine can (root with apt-get), else one line
# saying what to install, and make stops there (scripts/chromium.sh).
browser:
	$(eval chromium_missing := $(shell $(SHELL) scripts/chromium.sh))
	$(if $(chromium_missing),$(error $(chromium_missing)))

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

setup: $(VENV)/.installed

# Creates data/collab.duckdb (or $$COLLAB_DB) from sample_data/ when there is none.
db: setup
	$(PY) -m metrics init

run: browser db
	$(PY) -m streamlit run dashboard.py --server.port $(PORT) --server.address localhost \
		--server.headless true --browser.gatherUsageStats false

test: browser db
	$(PY) -m pytest

sample: setup
	$(PY) -m metrics sample --seed 7 --scale 1 --out sample_data

bench: browser setup
	$(PY) -m benchmarks.run

clean:
	rm -rf $(VENV) data .pytest_cache test-artifacts
