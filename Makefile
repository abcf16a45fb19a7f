# The staff's interface. Set-up is a dependency of every target and is fast when nothing changed.
#   make all                      every format of every report in sources/
#   make all REPORT=<slug>        every format of one report
#   make pdf|word|large-print|audio|epub|braille|html [REPORT=<slug>]
#   make check | test | bench | request EMAIL=path.eml | clean
VENV    ?= .venv
PY      := $(VENV)/bin/python
CLI     := $(VENV)/bin/accessible-formats
REPORT  ?=
OPTIONS ?=
FORMATS := html pdf word large-print epub braille audio daisy
# Where `make request` replies go: an outbox folder by default; for real mail, e.g.
# REQUEST_ARGS="--smtp-host mail.example.org --smtp-starttls --smtp-user formats --from formats@example.org"
REQUEST_ARGS ?= --outbox outputs/requests/outbox

.PHONY: all setup setup-test check test bench request clean $(FORMATS)

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

bench: setup-test
	$(PY) bench/run.py

request: setup
	@test -n "$(EMAIL)" || { echo "usage: make request EMAIL=path/to/message.eml" >&2; exit 2; }
	$(CLI) request $(EMAIL) $(REQUEST_ARGS)

clean:
	rm -rf outputs
