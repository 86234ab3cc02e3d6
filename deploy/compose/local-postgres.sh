#!/bin/sh
# Entrypoint of the local PostgreSQL image in compose (local.override.yml), run as root:
# hands the data volume to postgres and, on the first start of an empty volume, does what
# the official image's docker-entrypoint-initdb.d does here: creates POSTGRES_USER (with
# POSTGRES_PASSWORD) and runs /docker-entrypoint-initdb.d/*.sql as that role, on a
# server that listens on its Unix socket only. Then runs the image's entrypoint as
# postgres. Arguments are passed on to postgres.
set -eu

as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; }

mkdir -p "$PGDATA"
chown postgres:postgres "$PGDATA"
chmod 0700 "$PGDATA"

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    PG_LISTEN_ADDRESSES='' as_postgres /usr/local/bin/postgres-entrypoint &
    server=$!
    until as_postgres pg_isready --quiet --host /tmp --port "$PGPORT"; do
        kill -0 "$server" 2>/dev/null || { echo "local-postgres: initdb failed" >&2; exit 1; }
        sleep 0.5
    done
    as_postgres psql --no-psqlrc -v ON_ERROR_STOP=1 --host /tmp --port "$PGPORT" \
        --username postgres --dbname postgres \
        --set=role_name="$POSTGRES_USER" --set=role_password="$POSTGRES_PASSWORD" <<'SQL'
CREATE ROLE :"role_name" LOGIN CREATEDB PASSWORD :'role_password';
SQL
    for script in /docker-entrypoint-initdb.d/*.sql; do
        [ -e "$script" ] || continue
        echo "local-postgres: running $script as $POSTGRES_USER" >&2
        as_postgres psql --no-psqlrc -v ON_ERROR_STOP=1 --host /tmp --port "$PGPORT" \
            --username "$POSTGRES_USER" --dbname postgres --quiet --file "$script"
    done
    as_postgres pg_ctl --pgdata "$PGDATA" --mode fast --wait stop >/dev/null
    wait "$server" || true
fi

exec setpriv --reuid=postgres --regid=postgres --init-groups -- \
    /usr/local/bin/postgres-entrypoint "$@"
