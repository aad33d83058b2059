#!/usr/bin/env bash
# Installs (Debian packages) and starts the servers the shared-store tests use, on 127.0.0.1
# only: PostgreSQL (port 5432, database `webhook_receiver_test`, user `postgres` trusted on
# loopback) and Redis (port 6379). Idempotent: safe to run again when they are already up.
# Needs root (apt-get, pg_ctlcluster). Prints the environment the tests read.
set -euo pipefail

# Only the environment lines at the end go to stdout (callers parse them); everything the
# tools print on the way (apt, pg_ctlcluster's "Removed stale pid file.", ...) goes to stderr.
# The servers are started inside `start_services >&2`, so the daemons never hold the
# caller's stdout pipe open (a `$(bash scripts/services.sh)` would otherwise never return).
start_services() {

need_install=()
command -v redis-server >/dev/null 2>&1 || need_install+=(redis-server)
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need_install+=(postgresql)
if [ ${#need_install[@]} -gt 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_install[@]}" >/dev/null
fi

# PostgreSQL: the Debian cluster, listening on loopback, trusting local connections.
version="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
if ! pg_lsclusters -h 2>/dev/null | grep -q "^$version main"; then
    pg_createcluster "$version" main >/dev/null
fi
conf="/etc/postgresql/$version/main"
if ! grep -q "webhook-receiver tests" "$conf/pg_hba.conf"; then
    {
        echo "# webhook-receiver tests: trust loopback"
        echo "host all all 127.0.0.1/32 trust"
        echo "host all all ::1/128 trust"
    } | cat - "$conf/pg_hba.conf" > "$conf/pg_hba.conf.new"
    mv "$conf/pg_hba.conf.new" "$conf/pg_hba.conf"
    chown postgres:postgres "$conf/pg_hba.conf"
fi
sed -i "s/^#\?listen_addresses.*/listen_addresses = '127.0.0.1'/" "$conf/postgresql.conf"
if pg_lsclusters -h | grep -q "^$version main .* online"; then
    pg_ctlcluster "$version" main reload
else
    pg_ctlcluster "$version" main start
fi
for _ in $(seq 1 50); do
    pg_isready -h 127.0.0.1 -p 5432 -q && break
    sleep 0.2
done
pg_isready -h 127.0.0.1 -p 5432 -q
psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'webhook_receiver_test'" \
    | grep -q 1 || psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE webhook_receiver_test"

# Redis: a daemon on loopback, run as production needs it for the idempotency store: the
# append-only file on (completed ids survive a restart), no eviction limit.
redis_dir=/tmp/webhook-receiver-redis
mkdir -p "$redis_dir"
# A server already running without its append-only file (started by hand, or by an older
# version of this script) is restarted with it: RedisStore::connect refuses it otherwise, and
# its `dir` cannot be changed at run time.
if redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 \
    && [ "$(redis-cli -h 127.0.0.1 -p 6379 config get appendonly | tail -n 1)" != "yes" ]; then
    redis-cli -h 127.0.0.1 -p 6379 shutdown nosave >/dev/null 2>&1 || true
    for _ in $(seq 1 50); do
        redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || break
        sleep 0.1
    done
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    redis-server --bind 127.0.0.1 --port 6379 --daemonize yes --dir "$redis_dir" \
        --appendonly yes --appendfsync everysec --save "" \
        --logfile /tmp/webhook-receiver-redis.log
    for _ in $(seq 1 50); do
        redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break
        sleep 0.1
    done
fi
redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null
}

start_services >&2
echo "WEBHOOK_RECEIVER_TEST_POSTGRES=host=127.0.0.1 port=5432 user=postgres dbname=webhook_receiver_test"
echo "WEBHOOK_RECEIVER_TEST_REDIS=redis://127.0.0.1:6379/"
