# cxresearch: `make demo` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
TEST_STAMP := $(VENV)/.installed-test-stamp
DEMO   := data/demo
DEMO_CUSTOMERS ?= 5000

.PHONY: install demo test lab bench messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade uv || true

# uv installs the stack in seconds; plain pip is the fallback.
pip_install = if [ -x $(BIN)/uv ]; then $(BIN)/uv pip install --quiet --python $(BIN)/python -e "$(1)"; \
	else $(BIN)/python -m pip install --quiet -e "$(1)"; fi

# The package and what it runs on: all the demo, the Lab and the routine need.
$(STAMP): pyproject.toml | $(BIN)/python
	@$(call pip_install,.)
	@touch $@

# The test tools on top (pyspark for the Spark tests among them).
$(TEST_STAMP): $(STAMP)
	@$(call pip_install,.[test])
	@touch $@

install: $(TEST_STAMP)

$(DEMO)/customers.csv: | $(STAMP)
	$(BIN)/cxresearch demo --out $(DEMO) --customers $(DEMO_CUSTOMERS) --seed 42

demo: $(DEMO)/customers.csv
	$(BIN)/cxresearch run $(DEMO) --reports reports

test: $(DEMO)/customers.csv $(TEST_STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile --nbval-lax -p no:cacheprovider

# JupyterLab saves the explorers' widget state, so a reopened notebook shows them as they were left.
LAB_OVERRIDES := $(VENV)/share/jupyter/lab/settings/overrides.json
$(LAB_OVERRIDES): jupyter/overrides.json | $(STAMP)
	mkdir -p $(dir $@) && cp $< $@

lab: $(DEMO)/customers.csv $(LAB_OVERRIDES)
	$(BIN)/jupyter lab --notebook-dir=.

bench: $(TEST_STAMP)
	$(BIN)/python bench/run.py
	$(BIN)/python bench/engines.py   # DuckDB against Spark local on the same aggregations (needs Java 17+)

# Extract the pages' messages (code, templates, notebook Markdown) and update every catalog.
CATALOG_TEMPLATE := $(VENV)/cxresearch.pot
messages: $(STAMP)
	$(BIN)/pybabel -q extract -F babel.cfg --no-location --add-comments=TRANSLATORS: -o $(CATALOG_TEMPLATE) .
	$(BIN)/pybabel -q update -i $(CATALOG_TEMPLATE) -d cxresearch/locale -D cxresearch --no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date

clean:
	rm -rf $(VENV) $(DEMO) bench/.cache
