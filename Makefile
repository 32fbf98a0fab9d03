# Firstline: `make run` to start the app with demo data, `make test` to run the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export UV_PYTHON_DOWNLOADS := never

.PHONY: install run test lint format migrate demo schedules bench clean messages

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Firstline needs Python 3.11 or newer")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements.txt -r requirements-dev.txt
	touch $@

migrate: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py setup_roles
	$(BIN)/python manage.py setup_sla
	$(BIN)/python manage.py setup_schedules

demo: migrate
	$(BIN)/python manage.py seed_demo

run: demo
	PORT=$(PORT) scripts/dev-server

test: install
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Extract the interface's strings into locale/*/django.po (translate the new ones), then compile them.
messages: install
	$(BIN)/python manage.py makemessages --no-location $(foreach l,es fr de zh_Hans ja pt,-l $(l)) \
		$(foreach d,.venv var tests bench staticfiles static .ci-tmp locale,--ignore=$(d))
	$(BIN)/python manage.py compilemessages --ignore=.venv $(foreach l,es fr de zh_Hans ja pt,-l $(l))

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	$(BIN)/python bench/bench_pages.py --tickets 100000

clean:
	rm -rf $(VENV) var staticfiles .ci-tmp
