# Two commands: `make report` (demo report end to end) and `make test`.
# Both bootstrap .venv from nothing with only Python 3.11, pip and make, and are cheap to re-run.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_INBOX := data/demo-inbox
DEMO_CONFIG := config/demo-township.yaml
OUTPUT := output
UI_PORT ?= 4200
FILES_PORT ?= 4201
CHROMIUM := /usr/bin/chromium
SOFFICE := /usr/bin/soffice
# A free CJK font for the coverage chart's Chinese labels (transforms/chart.py).
CJK_FONT := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc

# Prefect and Great Expectations run offline, quietly, with their state inside the project.
export PREFECT_HOME := $(CURDIR)/.prefect
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1
export GX_ANALYTICS_ENABLED := false
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS := 90
# Where `make ui` listens, and so where `make report` finds its server and makes its links.
export EPIREPORT_UI_PORT := $(UI_PORT)
export EPIREPORT_FILES_PORT := $(FILES_PORT)

.PHONY: report test test-fast lint clean bench ui seed-check

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

$(DEMO_INBOX): | $(STAMP)
	rm -rf $@.partial
	$(BIN)/epireport demo-data $@.partial
	mv $@.partial $@

# The demo county's inbox (config/demo-county.yaml): one sub-folder per township.
data/demo-county-inbox: | $(STAMP)
	rm -rf $@.partial
	$(BIN)/epireport demo-data $@.partial/baisha --config config/demo-township.yaml
	$(BIN)/epireport demo-data $@.partial/qingshi --config config/demo-township-2.yaml
	mv $@.partial $@

report: $(STAMP) $(DEMO_INBOX) | $(CJK_FONT)
	$(BIN)/epireport run --inbox $(DEMO_INBOX) --config $(DEMO_CONFIG) --out $(OUTPUT)

# The full suite, as CI runs it (pytest-xdist; a file's tests stay on one worker, so module
# fixtures are built once). Three workers on two cores: the end-to-end tests spend much of
# their time waiting on servers and heartbeats. Tests get a Prefect home of their own.
# --no-loadscope-reorder: files in the order tests/conftest.py gives them (the longest first),
# not by their number of tests.
test: $(STAMP) | $(CHROMIUM) $(CJK_FONT) $(SOFFICE)
	$(BIN)/python -m pytest -n 3 --dist loadfile --no-loadscope-reorder

# The inner loop: no Prefect server, no subprocess, no full flow; hypothesis on few examples.
test-fast: $(STAMP) | $(CJK_FONT)
	$(BIN)/python -m pytest -n 2 --dist loadfile --no-loadscope-reorder -m "not slow" --hypothesis-profile=fast -q

# Without a CJK font the chart would draw empty boxes, so the run stops with a message instead.
$(CJK_FONT):
	-apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei

# Test tools from Debian's registry: headless chromium for the browser tests (the Prefect
# UI, the quality page), LibreOffice to convert the docx report to PDF. Tests that need
# them fail, rather than skip, when they are missing.
$(CHROMIUM):
	-apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

$(SOFFICE):
	-apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libreoffice-writer-nogui

# The Prefect server and UI on http://127.0.0.1:$(UI_PORT), data in .prefect/, and the output
# folder (read-only, what the artifacts' links open) on http://127.0.0.1:$(FILES_PORT)/;
# Ctrl-C stops both. `make report` meanwhile runs on this server instead of a temporary one.
ui: $(STAMP)
	$(BIN)/epireport server --port $(UI_PORT) --files-port $(FILES_PORT) --out $(OUTPUT)

# Benchmarks (not part of `make test`): three inbox sizes, pipeline against bare DuckDB/Polars.
bench: $(STAMP)
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# Our templates must copy no sentence of the example report (a check on how we write, run
# by hand): make seed-check SEED=path/to/the/example-report.txt
seed-check: $(STAMP)
	$(BIN)/python -m tools.seed_overlap "$(SEED)"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) $(OUTPUT) data .prefect
