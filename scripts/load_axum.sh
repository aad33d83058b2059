#!/usr/bin/env bash
# Load comparison of the axum integration against a bare axum route (a benchmark, not a test).
#
# Builds the release examples `axum_receiver` (verify + parse + process once) and `bare_axum`
# (reads the body, answers 200), starts both on 127.0.0.1, and drives each in turn with wrk
# for a fixed duration:
#
#   receeve, duplicates  one receeve delivery signed by the testing kit (HMAC), posted again and
#                        again: after the first, every request is verified, parsed and answered
#                        "duplicate" by the idempotency store.
#   munity, fresh ids    Munity token deliveries whose `state` differs per request, so each has a
#                        new body-digest id: verified, parsed, claimed, handled, completed.
#
# Prints requests/second of each and the receiver's share of the bare route's throughput, the
# server CPU time per request of each and its share (with 2 cores shared by wrk and the server,
# the throughput swings with any neighbour's load, the CPU cost per request much less), and the
# 99th percentile of the latency wrk saw on each side.
# Only 127.0.0.1 is contacted. wrk comes from Debian's `wrk` package, installed if missing.
#
# With INBOX=1, the Munity scenario also runs against the inbox's receiving side (the example
# `inbox`, ROLE=receive: verify, parse, enqueue, answer `200 accepted`) on the PostgreSQL and
# the Redis of scripts/services.sh (started if needed), beside the inline pipeline; no worker
# runs meanwhile (deployments run them elsewhere), and what the runs enqueued is dropped at
# the end.
#
# With STORES=1, both scenarios also run against the same example with its message ids in
# the PostgreSQL and the Redis of scripts/services.sh (STORE=postgres, STORE=redis: a claim
# and, for a new id, a completion per delivery, each a round trip; with PostgreSQL each a
# commit), as instances sharing the work would have them; what the runs recorded is dropped
# at the end.
#
# With OBSERVE=1, the baseline is not the bare route but the same receiver built without the
# crate's `tracing` and `metrics` features (the e2e package's feature `observe` off): each
# scenario then compares the receiver with both features on (a Prometheus recorder installed,
# `RUST_LOG=warn`, tower-http's TraceLayer in both) against it, side by side in one run.
#
# With FLOOR=1, the two scenarios of the memory store also run against `floor_axum`, a third
# server in the same alternating rounds: the same routes and server as the bare one, with
# handlers that do by hand what the crate does (receeve: the envelope read, HMAC-SHA256 checked
# with `verify_slice`, `payload` compared with the signed text, the message parsed; Munity: the
# token compared in constant time, the envelope parsed, the body's SHA-256 as id; both processed
# once in a sharded in-memory map). Each scenario's line then adds the receiver's share of the
# floor (throughput, and CPU as floor / receiver), and a second line gives the floor's own
# numbers against the bare route: the crate's cost judged against the work itself. Before
# timing, the floor and the receiver must both answer the genuine receeve delivery 200, a copy
# with one digit of its signature changed 401, and a Munity body with a wrong token 401.
#
# Usage: scripts/load_axum.sh [duration of one run, default 10s]
# Environment: ROUNDS (alternating runs per server and scenario, default 3; the median counts),
# CONNECTIONS (default 32), THREADS (wrk threads, default 1).
set -euo pipefail

cd "$(dirname "$0")/.."

DURATION="${1:-10s}"
CONNECTIONS="${CONNECTIONS:-32}"
THREADS="${THREADS:-1}"
ROUNDS="${ROUNDS:-3}"
RECEIVER_PORT=3100
BARE_PORT=3101
FLOOR_PORT=3099

export PALENCA_SECRET=palenca-example-secret
export RECEEVE_SECRET=receeve-example-secret
export MUNITY_TOKEN=munity-example-token

if ! command -v wrk >/dev/null 2>&1; then
    echo "installing wrk" >&2
    apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi

WORK="$(mktemp -d)"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT

TARGET_DIR="$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
EXAMPLES="$TARGET_DIR/release/examples"
if [ "${OBSERVE:-0}" = 1 ]; then
    # Built first and copied aside: the default build below overwrites the target's copy.
    cargo build --release --quiet -p webhook-receiver-e2e --no-default-features --example axum_receiver
    cp "$EXAMPLES/axum_receiver" "$WORK/axum_receiver_plain"
fi
FLOOR_EXAMPLE=()
if [ "${FLOOR:-0}" = 1 ]; then
    FLOOR_EXAMPLE=(--example floor_axum)
fi
cargo build --release --quiet -p webhook-receiver-e2e --example axum_receiver --example bare_axum \
    --example inbox "${FLOOR_EXAMPLE[@]}"

# The receeve delivery, signed with RECEEVE_SECRET by the testing kit.
RECEEVE_BODY="$("$EXAMPLES/axum_receiver" --print-body receeve 2>/dev/null)"
cat >"$WORK/receeve.lua" <<EOF
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
wrk.body = [==[$RECEEVE_BODY]==]
EOF

cat >"$WORK/munity.lua" <<EOF
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
wrk.headers["x-munity-token"] = "$MUNITY_TOKEN"

-- Ids unique across runs (the run name comes after "--") and threads.
local threads = 0
function setup(thread)
    threads = threads + 1
    thread:set("tid", threads)
end

local run, count = "run", 0
function init(args)
    run = (args[1] or "run") .. "-" .. tostring(tid)
end

function request()
    count = count + 1
    local body = '{"workspace_id":"ws_load","event":"webhook_test","payload":{"test":true},"state":"'
        .. run .. "-" .. count .. '"}'
    return wrk.format(nil, nil, nil, body)
end
EOF

wait_for_port() {
    for _ in $(seq 1 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    echo "nothing listens on 127.0.0.1:$1" >&2
    return 1
}

PORT=$RECEIVER_PORT RUST_LOG=warn "$EXAMPLES/axum_receiver" >"$WORK/receiver.log" 2>&1 &
RECEIVER_PID=$!
PIDS+=("$RECEIVER_PID")
BASE=bare
if [ "${OBSERVE:-0}" = 1 ]; then
    BASE=off
    PORT=$BARE_PORT RUST_LOG=warn "$WORK/axum_receiver_plain" >"$WORK/bare.log" 2>&1 &
else
    PORT=$BARE_PORT RUST_LOG=warn "$EXAMPLES/bare_axum" >"$WORK/bare.log" 2>&1 &
fi
BARE_PID=$!
PIDS+=("$BARE_PID")
wait_for_port $RECEIVER_PORT
wait_for_port $BARE_PORT

FLOOR_PID=
if [ "${FLOOR:-0}" = 1 ]; then
    PORT=$FLOOR_PORT RUST_LOG=warn "$EXAMPLES/floor_axum" >"$WORK/floor.log" 2>&1 &
    FLOOR_PID=$!
    PIDS+=("$FLOOR_PID")
    wait_for_port $FLOOR_PORT

    # The status of one POST of body $3 (with header $4, if any) to 127.0.0.1:$1$2.
    status_of() {
        local headers=(-H "content-type: application/json")
        if [ -n "${4:-}" ]; then
            headers+=(-H "$4")
        fi
        curl -s -o /dev/null -w '%{http_code}' --max-time 5 "${headers[@]}" \
            --data-binary "$3" "http://127.0.0.1:$1$2" || true
    }
    # A floor that skips the work must not look fast: the floor and the receiver must take
    # the genuine delivery and refuse the forged ones.
    signature="$(sed -n 's/.*"signature":"\([0-9a-f]\)\([0-9a-f]*\)".*/\1/p' <<<"$RECEEVE_BODY")"
    if [ -z "$signature" ]; then
        echo "the receeve delivery has no hex signature" >&2
        exit 1
    fi
    changed=$([ "$signature" = a ] && echo b || echo a)
    FORGED_BODY="$(sed "s/\"signature\":\"$signature/\"signature\":\"$changed/" <<<"$RECEEVE_BODY")"
    MUNITY_BODY='{"workspace_id":"ws_load","event":"webhook_test","payload":{"test":true},"state":"check"}'
    for server in "receiver|$RECEIVER_PORT" "floor|$FLOOR_PORT"; do
        IFS='|' read -r who port <<<"$server"
        for check in "genuine receeve delivery|200|/webhooks/receeve|$RECEEVE_BODY|" \
            "receeve delivery with a changed signature|401|/webhooks/receeve|$FORGED_BODY|" \
            "Munity body with a wrong token|401|/webhooks/munity|$MUNITY_BODY|x-munity-token: wrong-$MUNITY_TOKEN"; do
            IFS='|' read -r what expected path body header <<<"$check"
            got="$(status_of "$port" "$path" "$body" "$header")"
            if [ "$got" != "$expected" ]; then
                echo "FLOOR=1: the $who answered the $what with $got, not $expected" >&2
                exit 1
            fi
        done
    done
fi

INBOX_NAME="load_inbox_$$"
STORE_NAME="load_store_$$"
POSTGRES="host=127.0.0.1 port=5432 user=postgres dbname=webhook_receiver_test"
SCENARIOS=("receeve, duplicates|$RECEIVER_PID|$RECEIVER_PORT|/webhooks/receeve|$WORK/receeve.lua"
           "munity, fresh ids|$RECEIVER_PID|$RECEIVER_PORT|/webhooks/munity|$WORK/munity.lua")
port=$((BARE_PORT + 1))
if [ "${STORES:-0}" = 1 ]; then
    bash scripts/services.sh >/dev/null
    for backend in postgres redis; do
        port=$((port + 1))
        PORT=$port STORE=$backend POSTGRES="$POSTGRES" STORE_TABLE="$STORE_NAME" \
            STORE_PREFIX="$STORE_NAME:" RUST_LOG=warn "$EXAMPLES/axum_receiver" \
            >"$WORK/store-$backend.log" 2>&1 &
        pid=$!
        PIDS+=("$pid")
        wait_for_port $port
        SCENARIOS+=("receeve, $backend store|$pid|$port|/webhooks/receeve|$WORK/receeve.lua"
                    "munity, $backend store|$pid|$port|/webhooks/munity|$WORK/munity.lua")
    done
fi
drop_stores() {
    psql -q -h 127.0.0.1 -U postgres -d webhook_receiver_test \
        -c "DROP TABLE IF EXISTS $STORE_NAME;" >/dev/null 2>&1 || true
    redis-cli -h 127.0.0.1 --scan --pattern "$STORE_NAME:*" \
        | xargs -r -n 500 redis-cli -h 127.0.0.1 del >/dev/null 2>&1 || true
}
if [ "${STORES:-0}" = 1 ]; then
    trap 'drop_stores; cleanup' EXIT
fi
if [ "${INBOX:-0}" = 1 ]; then
    bash scripts/services.sh >/dev/null
    for backend in postgres redis; do
        port=$((port + 1))
        BACKEND=$backend ROLE=receive PORT=$port POSTGRES="$POSTGRES" INBOX_NAME="$INBOX_NAME" \
            RUST_LOG=warn "$EXAMPLES/inbox" >"$WORK/inbox-$backend.log" 2>&1 &
        pid=$!
        PIDS+=("$pid")
        wait_for_port $port
        SCENARIOS+=("munity, inbox $backend|$pid|$port|/webhooks/munity|$WORK/munity.lua")
    done
    drop_inboxes() {
        psql -q -h 127.0.0.1 -U postgres -d webhook_receiver_test -c "
            DELETE FROM graphile_worker._private_jobs WHERE task_id IN (
                SELECT id FROM graphile_worker._private_tasks
                WHERE starts_with(identifier, 'webhook-receiver:$INBOX_NAME:'));
            DROP TABLE IF EXISTS $INBOX_NAME;" >/dev/null 2>&1 || true
        redis-cli -h 127.0.0.1 --scan --pattern "$INBOX_NAME:*" \
            | xargs -r -n 500 redis-cli -h 127.0.0.1 del >/dev/null 2>&1 || true
    }
    trap 'drop_inboxes; drop_stores; cleanup' EXIT
fi

# CPU time (user + system, in clock ticks) a process has used so far.
cpu_ticks() {
    awk '{ print $14 + $15 }' "/proc/$1/stat"
}

RUN=0
# One wrk run against a server: prints its requests/second, the server's CPU time per request
# in microseconds and the 99th percentile latency in milliseconds. Fails when a response was
# not 2xx.
measure() {
    local pid=$1 port=$2 path=$3 script=$4 duration=$5 out before after
    RUN=$((RUN + 1))
    before="$(cpu_ticks "$pid")"
    out="$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$duration" --latency -s "$script" \
        "http://127.0.0.1:$port$path" -- "r$RUN")"
    after="$(cpu_ticks "$pid")"
    if grep -q "Non-2xx" <<<"$out"; then
        echo "$out" >&2
        echo "non-2xx responses on 127.0.0.1:$port$path" >&2
        return 1
    fi
    awk -v ticks=$((after - before)) -v hz="$(getconf CLK_TCK)" '
        function ms(v) {
            if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
            if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
            if (v ~ /s$/) return substr(v, 1, length(v) - 1) * 1000
            return v + 0
        }
        / requests in / { n = $1 }
        /^Requests\/sec:/ { rps = $2 }
        $1 == "99%" { p99 = ms($2) }
        END { printf "%.0f %.2f %.3f\n", rps, ticks * 1e6 / hz / n, p99 }' <<<"$out"
}

median() {
    sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# The median of field $1 of the runs that follow.
column() {
    printf '%s\n' "${@:2}" | cut -d' ' -f"$1" | median
}

# Where FLOOR=1 adds the receiver's share of the floor: header, and for each scenario.
if [ -n "$FLOOR_PID" ]; then
    FLOOR_HEADER="$(printf ' %9s %9s' "of floor" "cpu share")"
else
    FLOOR_HEADER=
fi
printf '%-20s %9s %9s %6s %11s %11s %6s %9s %9s%s\n' "scenario" "recv rps" "$BASE rps" "share" \
    "recv cpu" "$BASE cpu" "share" "recv p99" "$BASE p99" "$FLOOR_HEADER"
for scenario in "${SCENARIOS[@]}"; do
    IFS='|' read -r name pid port path script <<<"$scenario"
    # Warm-up; it may see 409s: the first concurrent copies of one delivery race for its id.
    measure "$pid" "$port" "$path" "$script" 2s >/dev/null 2>&1 || true
    measure "$BARE_PID" $BARE_PORT "$path" "$script" 2s >/dev/null
    # The floor runs beside the receiver of the memory store only.
    with_floor=
    if [ -n "$FLOOR_PID" ] && [ "$pid" = "$RECEIVER_PID" ]; then
        with_floor=1
        measure "$FLOOR_PID" $FLOOR_PORT "$path" "$script" 2s >/dev/null 2>&1 || true
    fi
    receiver=() bare=() floor=()
    # Alternating rounds, so that a noisy neighbour hurts both sides alike.
    for _ in $(seq 1 "$ROUNDS"); do
        receiver+=("$(measure "$pid" "$port" "$path" "$script" "$DURATION")")
        bare+=("$(measure "$BARE_PID" $BARE_PORT "$path" "$script" "$DURATION")")
        if [ -n "$with_floor" ]; then
            floor+=("$(measure "$FLOOR_PID" $FLOOR_PORT "$path" "$script" "$DURATION")")
        fi
    done
    rr="$(column 1 "${receiver[@]}")" br="$(column 1 "${bare[@]}")"
    rc="$(column 2 "${receiver[@]}")" bc="$(column 2 "${bare[@]}")"
    rp="$(column 3 "${receiver[@]}")" bp="$(column 3 "${bare[@]}")"
    if [ -n "$with_floor" ]; then
        fr="$(column 1 "${floor[@]}")" fc="$(column 2 "${floor[@]}")" fp="$(column 3 "${floor[@]}")"
        extra="$(awk -v rr="$rr" -v fr="$fr" -v rc="$rc" -v fc="$fc" 'BEGIN {
            printf " %8.1f%% %8.1f%%", 100 * rr / fr, 100 * fc / rc }')"
    elif [ -n "$FLOOR_PID" ]; then
        extra="$(printf ' %9s %9s' - -)"
    else
        extra=
    fi
    awk -v name="$name" -v rr="$rr" -v br="$br" -v rc="$rc" -v bc="$bc" -v rp="$rp" -v bp="$bp" \
        -v extra="$extra" 'BEGIN {
        printf "%-20s %9.0f %9.0f %5.1f%% %8.2f us %8.2f us %5.1f%% %6.2f ms %6.2f ms%s\n",
            name, rr, br, 100 * rr / br, rc, bc, 100 * bc / rc, rp, bp, extra }'
    if [ -n "$with_floor" ]; then
        # The floor's own line, in the receiver's columns, against the same bare runs.
        awk -v fr="$fr" -v br="$br" -v fc="$fc" -v bc="$bc" -v fp="$fp" -v bp="$bp" 'BEGIN {
            printf "%-20s %9.0f %9.0f %5.1f%% %8.2f us %8.2f us %5.1f%% %6.2f ms %6.2f ms\n",
                "  floor", fr, br, 100 * fr / br, fc, bc, 100 * bc / fc, fp, bp }'
        echo "    runs (rps cpu-us/req p99-ms): receiver ${receiver[*]}; $BASE ${bare[*]};" \
            "floor ${floor[*]}" >&2
    else
        echo "    runs (rps cpu-us/req p99-ms): receiver ${receiver[*]}; $BASE ${bare[*]}" >&2
    fi
done
echo "(medians of $ROUNDS alternating runs of $DURATION each; $(nproc) cores shared by server and" \
    "wrk; wrk -t$THREADS -c$CONNECTIONS; 127.0.0.1; cpu = server CPU time per request, and its" \
    "share = $BASE / receiver; p99 = 99th percentile latency seen by wrk)"
if [ -n "$FLOOR_PID" ]; then
    echo "(floor = floor_axum, the same work by hand, in the same rounds; its line reads as the" \
        "receiver's; of floor = receiver rps / floor rps; cpu share = floor cpu / receiver cpu)"
fi
