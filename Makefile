# The two commands of the README:
#   make up    set everything up and run the platform (embedded broker and PostgreSQL,
#              services, gateway; data kept in $ATR_DATA_DIR, default ./var)
#   make test  set everything up and run ruff, mypy and the tests (what .ci/run calls)
PYTHON ?= python3.11
UV := .tools/bin/uv
VENV := .venv
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: up test setup browser lint typecheck pytest bench schemas asyncapi clean

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check "uv==0.13.9"

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --python $(PYTHON) --quiet
	touch $@

setup: $(VENV)/.synced

# the dashboard test drives Debian's Chromium (/usr/bin/chromium); tests only, not `make up`
browser:
	@command -v chromium >/dev/null || { \
		sudo=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
		$$sudo apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq chromium >/dev/null; } || { \
		echo "make: could not install chromium with apt-get; the dashboard test needs it" >&2; \
		exit 1; }

up: setup
	exec $(VENV)/bin/atr up

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: setup
	$(VENV)/bin/mypy contracts services programs bench examples

pytest: setup browser
	$(VENV)/bin/pytest -q

test: lint typecheck pytest

bench: setup
	$(VENV)/bin/python -m bench.claims

schemas: setup
	$(VENV)/bin/atr export-schemas docs/schemas
	$(VENV)/bin/atr asyncapi docs/asyncapi.json

clean:
	rm -rf $(VENV) .tools var
