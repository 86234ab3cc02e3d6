#!/usr/bin/env bash
# The integration suite against containers of the local images (what `make testcontainers`
# runs): a Docker engine (deploy/images/engine.sh), the images (deploy/images/build.sh),
# then pytest with the Docker path of tests/infrastructure.py: Tansu and PostgreSQL in
# containers on the host network. Ryuk is disabled (it needs a bridge network); the
# containers are removed by the tests, and any left over by this script. The engine is
# stopped at the end when this script started it, unless ATR_KEEP_ENGINE=1.
#
#   deploy/images/testcontainers.sh [pytest arguments]   (default: tests/integration)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT"

STARTED=0
eval "$("$HERE/engine.sh" ensure)"
if [ -n "$DOCKER_HOST" ]; then export DOCKER_HOST; else unset DOCKER_HOST; fi
ENGINE_STARTED=$STARTED

# shellcheck disable=SC2317  # called by the EXIT trap
finish() {
    local leftovers
    leftovers=$(docker ps -aq --filter label=org.atr.tests=1 2>/dev/null || true)
    if [ -n "$leftovers" ]; then
        echo "testcontainers: removing left-over containers: $leftovers" >&2
        # shellcheck disable=SC2086
        docker rm -f $leftovers >/dev/null || true
    fi
    if [ "$ENGINE_STARTED" = 1 ] && [ "${ATR_KEEP_ENGINE:-0}" != 1 ]; then
        "$HERE/engine.sh" stop
    fi
}
trap finish EXIT

"$HERE/build.sh"

# the Docker path: no configured broker or PostgreSQL, no opt-out, no reaper
unset KAFKA_BOOTSTRAP_SERVERS ATR_TEST_POSTGRES_DSN ATR_TEST_CONTAINERS
export TESTCONTAINERS_RYUK_DISABLED=true

if [ $# -eq 0 ]; then set -- tests/integration; fi
# which containers the run starts, from the engine's event stream (the engine keeps only
# the last few hundred events, and health checks fill them, so listen while it runs)
started_log=$(mktemp)
docker events --filter type=container --filter event=start --filter label=org.atr.tests=1 \
    --format '{{.From}}' >"$started_log" &
events_pid=$!
started=$SECONDS
status=0
"$ROOT/.venv/bin/pytest" -q "$@" || status=$?
echo "testcontainers: pytest $* exited $status after $((SECONDS - started)) s" >&2
kill "$events_pid" 2>/dev/null || true
wait "$events_pid" 2>/dev/null || true
echo "testcontainers: containers the run started (image, label org.atr.tests=1):" >&2
sort "$started_log" | uniq -c >&2
rm -f "$started_log"
exit $status
