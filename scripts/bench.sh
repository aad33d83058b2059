#!/usr/bin/env bash
# Runs the verification benches (and the memory-store bench), then prints the markdown table
# for the performance guide (docs/performance.md). Takes a few minutes on a 2-core machine.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench -p webhook-receiver-benches --bench verify -- "$@"
cargo bench -p webhook-receiver-benches --bench memory_store -- --warm-up-time 1 --measurement-time 3
python3 scripts/bench_table.py target/criterion
