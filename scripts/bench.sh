#!/usr/bin/env bash
# Runs the verification benches (and the memory-store bench), then prints the markdown table
# for the performance guide (docs/performance.md). Takes a few minutes on a 2-core machine.
#
#   scripts/bench.sh            the verify + memory_store benches, then their table
#   scripts/bench.sh presets    the mainstream presets against their floors, measured in turns
#                               (prints the preset table; ROUNDS=300 by default)
#   scripts/bench.sh peers      the presets beside webhook-verify, octocrab and
#                               async-stripe-webhook (benchmarks/peers, a workspace of its own:
#                               the peers take minutes to build the first time)
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
presets)
    shift
    exec cargo bench -p webhook-receiver-benches --bench presets -- "$@"
    ;;
peers)
    shift
    exec cargo bench --manifest-path benchmarks/peers/Cargo.toml --bench peers -- "$@"
    ;;
esac
cargo bench -p webhook-receiver-benches --bench verify -- "$@"
cargo bench -p webhook-receiver-benches --bench memory_store -- --warm-up-time 1 --measurement-time 3
python3 scripts/bench_table.py target/criterion
