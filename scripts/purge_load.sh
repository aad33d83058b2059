#!/usr/bin/env bash
# Load run of RedisInbox::purge (a measurement, not a test; not part of CI).
#
# Writes PURGE_LOAD_COUNT completed deliveries (default 1,000,000) under a fresh key prefix in
# the Redis of scripts/services.sh (WEBHOOK_RECEIVER_TEST_REDIS, which must be on 127.0.0.1),
# then purges them with RedisInbox::purge while another connection sends a PING every
# millisecond, and prints the purge's duration and the pings' latencies (median, p99, p99.9,
# max, how many took over 10 ms). The purge runs in batches of a bounded size, one script
# call each, so the server answers others between them; the goal is every ping within 10 ms.
# Everything the run writes, it purges. About 300 MB of Redis memory at the default count.
#
# Usage: scripts/purge_load.sh            (PURGE_LOAD_COUNT=200000 scripts/purge_load.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
export WEBHOOK_RECEIVER_TEST_REDIS="${WEBHOOK_RECEIVER_TEST_REDIS:-redis://127.0.0.1:6379/}"
case "$WEBHOOK_RECEIVER_TEST_REDIS" in
  redis://127.0.0.1:*) ;;
  *) echo "WEBHOOK_RECEIVER_TEST_REDIS must be a Redis on 127.0.0.1" >&2; exit 1 ;;
esac
exec cargo test --release --all-features --test inbox_redis -- \
  --ignored --exact purge_load --nocapture
