# Two commands do all set-up on a fresh machine with Python 3.11+ and make:
#   make demo   the web app and its worker on the embedded SQLite database, demo district loaded
#   make test   lint, checks, message catalogue and the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
STAMP  := $(VENV)/.installed

.PHONY: demo test install lint format messages vendor clean-demo

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	@mkdir -p var
	DEBUG=1 $(BIN)/xiaoneng migrate --noinput
	DEBUG=1 PORT=$(PORT) $(BIN)/xiaoneng demo_serve

test: $(STAMP)
	DEBUG=1 bash scripts/test.sh

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Re-extract the message catalogue (needs GNU gettext's xgettext) and compile the .mo files.
messages: $(STAMP)
	DEBUG=1 $(BIN)/xiaoneng makemessages -l zh_Hans -l en --no-obsolete --no-location --ignore=.venv --ignore=node_modules --ignore=var
	DEBUG=1 $(BIN)/python scripts/messages.py compile

vendor:
	bash scripts/vendor-static.sh

clean-demo:
	rm -f var/xiaoneng.sqlite3 var/xiaoneng.sqlite3-wal var/xiaoneng.sqlite3-shm
