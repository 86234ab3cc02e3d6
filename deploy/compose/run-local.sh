#!/usr/bin/env bash
# The compose stack on this machine, proven: docker-compose.yml + local.override.yml
# (local images, Tansu for Kafka) against the private engine; waits until every
# long-running container is healthy, asks each service and the gateway for /readyz on
# loopback, prints the answers and tears the stack down (`down -v`).
#
#   deploy/compose/run-local.sh           (make compose-up-local)
#   ATR_LOCAL_KEEP=1 ...                  leave the stack up (tear down: rerun with
#                                         ATR_LOCAL_DOWN=1)
#   ATR_LOCAL_PORT_OFFSET=N               ports 8080+N..8085+N, 9092+N, 5432+N; unset: the
#                                         first of 0, 10000, 20000, 30000 with all free
#   ATR_KEEP_ENGINE=1                     do not stop the engine this run started
#
# Compose: `docker compose` (v2) when the client has it, else Debian's docker-compose
# (1.29, installed when missing), which does not know the top-level `name:` key: it gets
# a copy of docker-compose.yml without it. Host networking only; nothing is pulled.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
PROJECT=${ATR_LOCAL_PROJECT:-atr-local}
TIMEOUT=${ATR_LOCAL_TIMEOUT:-900}
SERVICES=(eligibility vouchers claims payments reporting gateway)
LONG_RUNNING=(kafka postgres "${SERVICES[@]}")

say() { echo "compose-local: $*" >&2; }

listening() { ss -Hltn "sport = :$1" | grep -q .; }

pick_ports() {
    local offsets=${ATR_LOCAL_PORT_OFFSET:-0 10000 20000 30000} offset port busy
    for offset in $offsets; do
        busy=
        for port in 8080 8081 8082 8083 8084 8085 9092 5432; do
            if listening $((port + offset)); then busy="$busy $((port + offset))"; fi
        done
        if [ -z "$busy" ]; then
            export ATR_GATEWAY_PORT=$((8080 + offset)) ATR_ELIGIBILITY_PORT=$((8081 + offset))
            export ATR_VOUCHERS_PORT=$((8082 + offset)) ATR_CLAIMS_PORT=$((8083 + offset))
            export ATR_PAYMENTS_PORT=$((8084 + offset)) ATR_REPORTING_PORT=$((8085 + offset))
            export KAFKA_PORT=$((9092 + offset)) POSTGRES_PORT=$((5432 + offset))
            export KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$KAFKA_PORT
            say "ports: gateway $ATR_GATEWAY_PORT, services $ATR_ELIGIBILITY_PORT-$ATR_REPORTING_PORT, Kafka (Tansu) $KAFKA_PORT, PostgreSQL $POSTGRES_PORT"
            return
        fi
        say "offset $offset: in use on this machine:$busy"
    done
    say "no free set of ports; set ATR_LOCAL_PORT_OFFSET"
    exit 1
}

port_of() {
    case "$1" in
        gateway) echo "$ATR_GATEWAY_PORT" ;;
        eligibility) echo "$ATR_ELIGIBILITY_PORT" ;;
        vouchers) echo "$ATR_VOUCHERS_PORT" ;;
        claims) echo "$ATR_CLAIMS_PORT" ;;
        payments) echo "$ATR_PAYMENTS_PORT" ;;
        reporting) echo "$ATR_REPORTING_PORT" ;;
    esac
}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/atr-compose.XXXXXX")
COMPOSE=()
setup_compose() {
    if docker compose version >/dev/null 2>&1; then
        COMPOSE=(docker compose -p "$PROJECT" -f "$ROOT/docker-compose.yml")
        say "compose: $(docker compose version | head -n 1)"
    else
        if ! command -v docker-compose >/dev/null; then
            say "installing Debian's docker-compose"
            apt-get update -qq
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null
        fi
        "$PYTHON" - "$ROOT/docker-compose.yml" "$WORK/docker-compose.yml" <<'PY'
import sys

import yaml

spec = yaml.safe_load(open(sys.argv[1]))
spec.pop("name", None)
yaml.safe_dump(spec, open(sys.argv[2], "w"), sort_keys=False)
PY
        COMPOSE=(docker-compose -p "$PROJECT" --project-directory "$ROOT"
            -f "$WORK/docker-compose.yml")
        say "compose: $(docker-compose version --short) (docker-compose.yml without its name: key)"
    fi
    COMPOSE+=(-f "$HERE/local.override.yml")
}

STARTED=0
teardown() {
    local status=$?
    if [ "${ATR_LOCAL_KEEP:-0}" = 1 ] && [ -z "${ATR_LOCAL_DOWN:-}" ]; then
        say "ATR_LOCAL_KEEP=1: the stack stays up (project $PROJECT)"
    elif [ ${#COMPOSE[@]} -gt 0 ]; then
        say "tearing down: down -v"
        "${COMPOSE[@]}" down -v --remove-orphans >"$WORK/down.log" 2>&1 \
            || tail -n 20 "$WORK/down.log" >&2
        say "containers left on the engine: $(docker ps -aq | wc -l)"
        if [ "$STARTED" = 1 ] && [ "${ATR_KEEP_ENGINE:-0}" != 1 ]; then
            "$ROOT/deploy/images/engine.sh" stop
        fi
    fi
    rm -rf "$WORK"
    exit "$status"
}
trap teardown EXIT

health_of() {
    local id
    id=$("${COMPOSE[@]}" ps -q "$1" 2>/dev/null || true)
    if [ -z "$id" ]; then echo missing; return; fi
    docker inspect --format '{{.State.Status}}/{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$id"
}

show_logs() {
    local name
    for name in "$@"; do
        say "last lines of $name:"
        "${COMPOSE[@]}" logs --no-color --tail 30 "$name" >&2 || true
    done
}

eval "$("$ROOT/deploy/images/engine.sh" ensure)"
if [ -n "$DOCKER_HOST" ]; then export DOCKER_HOST; else unset DOCKER_HOST; fi
eval "$(cd "$ROOT" && "$PYTHON" -m tests.containers env)"
export KAFKA_IMAGE=$TANSU_IMAGE POSTGRES_IMAGE ATR_IMAGE=${ATR_IMAGE:-atr/platform:local}
pick_ports
setup_compose
if [ -n "${ATR_LOCAL_DOWN:-}" ]; then exit 0; fi

"$ROOT/deploy/images/build.sh"

started=$SECONDS
say "up -d (Tansu, PostgreSQL, topics, migrations, services, gateway)"
if ! timeout "$TIMEOUT" "${COMPOSE[@]}" up -d >"$WORK/up.log" 2>&1; then
    cat "$WORK/up.log" >&2
    "${COMPOSE[@]}" ps >&2 || true
    show_logs kafka-topics postgres "${SERVICES[@]/#/migrate-}" "${SERVICES[@]}"
    exit 1
fi

while :; do
    waiting=()
    for name in "${LONG_RUNNING[@]}"; do
        state=$(health_of "$name")
        [ "$state" = running/healthy ] || waiting+=("$name=$state")
    done
    [ ${#waiting[@]} -eq 0 ] && break
    if [ $((SECONDS - started)) -ge "$TIMEOUT" ]; then
        say "not healthy after $TIMEOUT s: ${waiting[*]}"
        show_logs "${LONG_RUNNING[@]}"
        exit 1
    fi
    sleep 5
done
say "every container healthy after $((SECONDS - started)) s"
"${COMPOSE[@]}" ps >&2

failed=0
for name in "${SERVICES[@]}"; do
    port=$(port_of "$name")
    if answer=$(curl -sS --max-time 5 -w ' (HTTP %{http_code})' "http://127.0.0.1:$port/readyz"); then
        echo "$name 127.0.0.1:$port/readyz -> $answer"
        case "$answer" in *"(HTTP 200)") ;; *) failed=1 ;; esac
    else
        echo "$name 127.0.0.1:$port/readyz -> no answer"
        failed=1
    fi
done
if [ "$failed" = 1 ]; then
    show_logs "${SERVICES[@]}"
    exit 1
fi
say "all six answered /readyz with 200 ($((SECONDS - started)) s after up)"
