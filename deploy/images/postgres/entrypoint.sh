#!/bin/sh
# Initialise the cluster on first start (superuser postgres, trust authentication for
# the addresses in PG_TRUST_CIDRS only), then run the server in the foreground on
# PG_LISTEN_ADDRESSES:PGPORT. Arguments are passed on to postgres.
set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    initdb -D "$PGDATA" -U postgres --auth=trust --encoding=UTF8 --no-locale \
        --no-instructions >/dev/null
    {
        echo "local all all trust"
        for cidr in $PG_TRUST_CIDRS; do
            echo "host all all $cidr trust"
            echo "host replication all $cidr trust"
        done
    } >"$PGDATA/pg_hba.conf"
fi
exec postgres -D "$PGDATA" -c "listen_addresses=$PG_LISTEN_ADDRESSES" -c "port=$PGPORT" \
    -c unix_socket_directories=/tmp "$@"
