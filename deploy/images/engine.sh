#!/usr/bin/env bash
# A Docker engine for the local images and the testcontainers run, on this machine only.
#
#   engine.sh ensure   install Debian's docker.io when dockerd is missing; when no engine
#                      answers, start one; print shell assignments: DOCKER_HOST (empty:
#                      the client's default) and STARTED (1 when this call started it)
#   engine.sh stop     stop the engine this script started (its pid file), if it runs
#
# An engine that already answers (DOCKER_HOST, else the default socket) is used as it is.
# Otherwise the engine started here is a private one: its own socket, data root and exec
# root (ATR_DOCKER_SOCK, ATR_DOCKER_DATA, ATR_DOCKER_EXEC), so other processes on the
# machine that probe the default socket (every `make test`) keep the non-Docker path.
# It runs with `--iptables=false --bridge=none`: no bridge network exists, every
# container and every build uses the host's network (`--network host`).
set -euo pipefail

ATR_DOCKER_EXEC=${ATR_DOCKER_EXEC:-/var/run/atr-docker}
ATR_DOCKER_DATA=${ATR_DOCKER_DATA:-/var/lib/atr-docker}
ATR_DOCKER_SOCK=${ATR_DOCKER_SOCK:-$ATR_DOCKER_EXEC/docker.sock}
ATR_DOCKER_LOG=${ATR_DOCKER_LOG:-/var/log/atr-dockerd.log}
PIDFILE=$ATR_DOCKER_EXEC/dockerd.pid
PRIVATE_HOST=unix://$ATR_DOCKER_SOCK

SUDO=
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi

say() { echo "engine: $*" >&2; }

answers() {  # $1: a DOCKER_HOST value, or empty for the client's default
    if [ -n "$1" ]; then
        DOCKER_HOST=$1 timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1
    else
        env -u DOCKER_HOST timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1
    fi
}

install_docker() {
    if command -v dockerd >/dev/null && command -v docker >/dev/null; then
        return
    fi
    say "installing Debian's docker.io"
    $SUDO apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
}

start_private() {
    say "starting dockerd on $PRIVATE_HOST (log: $ATR_DOCKER_LOG)"
    $SUDO mkdir -p "$ATR_DOCKER_EXEC" "$ATR_DOCKER_DATA" "$(dirname "$ATR_DOCKER_LOG")"
    $SUDO setsid dockerd \
        --iptables=false --ip6tables=false --bridge=none \
        --host "$PRIVATE_HOST" \
        --data-root "$ATR_DOCKER_DATA" \
        --exec-root "$ATR_DOCKER_EXEC" \
        --pidfile "$PIDFILE" \
        </dev/null >>"$ATR_DOCKER_LOG" 2>&1 &
    for _ in $(seq 1 60); do
        if answers "$PRIVATE_HOST"; then
            say "dockerd answers (pid $(cat "$PIDFILE"))"
            return
        fi
        sleep 0.5
    done
    say "dockerd did not answer within 30 s; last lines of $ATR_DOCKER_LOG:"
    tail -n 20 "$ATR_DOCKER_LOG" >&2
    exit 1
}

emit() { printf 'DOCKER_HOST=%q\nSTARTED=%s\n' "$1" "$2"; }

ensure() {
    install_docker
    if [ -n "${DOCKER_HOST:-}" ] && [ "$DOCKER_HOST" != "$PRIVATE_HOST" ]; then
        if answers "$DOCKER_HOST"; then
            say "using the engine at DOCKER_HOST=$DOCKER_HOST"
            emit "$DOCKER_HOST" 0
            return
        fi
        say "DOCKER_HOST=$DOCKER_HOST does not answer"
        exit 1
    fi
    if [ -z "${DOCKER_HOST:-}" ] && answers ""; then
        say "using the engine on the default socket"
        emit "" 0
        return
    fi
    if answers "$PRIVATE_HOST"; then
        say "using the running engine at $PRIVATE_HOST"
        emit "$PRIVATE_HOST" 0
    else
        start_private
        emit "$PRIVATE_HOST" 1
    fi
}

stop() {
    if [ ! -s "$PIDFILE" ]; then
        say "no engine started by this script runs"
        return
    fi
    pid=$(cat "$PIDFILE")
    if ! kill -0 "$pid" 2>/dev/null; then
        say "dockerd $pid is not running"
        return
    fi
    # remove what the tests may have left, then stop the daemon (it stops its containerd)
    leftovers=$(DOCKER_HOST=$PRIVATE_HOST docker ps -aq --filter label=org.atr.tests=1 || true)
    if [ -n "$leftovers" ]; then
        # shellcheck disable=SC2086
        DOCKER_HOST=$PRIVATE_HOST docker rm -f $leftovers >/dev/null
    fi
    say "stopping dockerd $pid"
    $SUDO kill "$pid"
    for _ in $(seq 1 60); do
        kill -0 "$pid" 2>/dev/null || { say "stopped"; return; }
        sleep 0.5
    done
    say "dockerd $pid still runs after 30 s"
    exit 1
}

case "${1:-}" in
    ensure) ensure ;;
    stop) stop ;;
    *) echo "usage: $0 ensure|stop" >&2; exit 2 ;;
esac
