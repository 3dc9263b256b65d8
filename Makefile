# Two commands: `make report` (demo report end to end) and `make test`.
# Both bootstrap .venv from nothing with only Python 3.11, pip and make, and are cheap to re-run.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_INBOX := data/demo-inbox
DEMO_CONFIG := config/demo-township.yaml
OUTPUT := output

# Prefect and Great Expectations run offline, quietly, with their state inside the project.
export PREFECT_HOME := $(CURDIR)/.prefect
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1
export GX_ANALYTICS_ENABLED := false
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS := 90

.PHONY: report test lint clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

$(DEMO_INBOX): | $(STAMP)
	rm -rf $@.partial
	$(BIN)/epireport demo-data $@.partial
	mv $@.partial $@

report: $(STAMP) $(DEMO_INBOX)
	$(BIN)/epireport run --inbox $(DEMO_INBOX) --config $(DEMO_CONFIG) --out $(OUTPUT)
	@echo "Report: $(CURDIR)/$(OUTPUT)/latest/report.txt"

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) $(OUTPUT) data .prefect
