#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster for the test suite and exports its URL.
#
# Usage (source it, so the variable reaches your shell / the test run):
#     . scripts/test-postgres.sh            # starts (or reuses) the cluster, exports the URL
#     cargo test --workspace                 # PostgreSQL tests read MOSTRADOR_TEST_POSTGRES_URL
#     test_postgres_stop                     # optional: stop it and delete its data
# Or run it (not sourced) to just print the URL: `bash scripts/test-postgres.sh`.
#
# Needs Debian's `postgresql` package (binaries in /usr/lib/postgresql/<version>/bin; set PG_BIN to
# override). Runs as the `postgres` system user when started as root (initdb refuses root).
# The cluster lives in MOSTRADOR_TEST_PG_DIR (default: a new temp dir), listens on 127.0.0.1 on a free
# port, trusts local connections, and is tuned for tests (fsync stays on: the durability tests need
# real commits). Sourcing it again while the cluster runs reuses it.
# Each test creates and drops its own database, so one cluster serves the whole run.

_test_pg_main() {
    local bin="${PG_BIN:-}"
    if [ -z "$bin" ]; then
        bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
    fi
    if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
        echo "test-postgres: PostgreSQL server binaries not found; apt-get install -y postgresql" >&2
        return 1
    fi
    # Reuse a running cluster from an earlier source in this shell.
    if [ -n "${MOSTRADOR_TEST_PG_DIR:-}" ] && [ -f "$MOSTRADOR_TEST_PG_DIR/data/postmaster.pid" ] \
        && [ -n "${MOSTRADOR_TEST_POSTGRES_URL:-}" ]; then
        if _test_pg_as "$bin/pg_ctl" -D "$MOSTRADOR_TEST_PG_DIR/data" status >/dev/null 2>&1; then
            echo "test-postgres: reusing $MOSTRADOR_TEST_POSTGRES_URL" >&2
            return 0
        fi
    fi
    local dir="${MOSTRADOR_TEST_PG_DIR:-}"
    if [ -z "$dir" ]; then dir=$(mktemp -d /tmp/mostrador-pg.XXXXXX); fi
    mkdir -p "$dir" || return 1
    if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$dir" && chmod 700 "$dir" || return 1; fi
    # A free port: random in 20000-59999, skipping any that accepts a connection.
    local port tries=0
    while :; do
        port=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
        tries=$((tries + 1))
        if [ "$tries" -gt 50 ]; then echo "test-postgres: no free port" >&2; return 1; fi
    done
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        _test_pg_as "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
            || { cat "$dir/initdb.log" >&2; return 1; }
    fi
    _test_pg_as "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300 -c shared_buffers=64MB" start >/dev/null \
        || { cat "$dir/server.log" >&2; return 1; }
    export MOSTRADOR_TEST_PG_DIR="$dir"
    export MOSTRADOR_TEST_PG_BIN="$bin"
    export MOSTRADOR_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres"
    echo "test-postgres: started $MOSTRADOR_TEST_POSTGRES_URL (data in $dir)" >&2
}

_test_pg_as() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

test_postgres_stop() {
    if [ -n "${MOSTRADOR_TEST_PG_DIR:-}" ] && [ -d "$MOSTRADOR_TEST_PG_DIR/data" ]; then
        _test_pg_as "$MOSTRADOR_TEST_PG_BIN/pg_ctl" -D "$MOSTRADOR_TEST_PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
        rm -rf "$MOSTRADOR_TEST_PG_DIR"
    fi
    unset MOSTRADOR_TEST_PG_DIR MOSTRADOR_TEST_POSTGRES_URL MOSTRADOR_TEST_PG_BIN
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    # Executed: start and print the URL (the caller stops it with pg_ctl or by deleting the dir).
    _test_pg_main && echo "$MOSTRADOR_TEST_POSTGRES_URL"
else
    # Sourced: report failure to the caller without exiting its shell.
    _test_pg_main || return 1
fi
