#!/usr/bin/env bash
# Coverage-guided fuzzing of the crate with cargo fuzz (libFuzzer), on the stable toolchain
# (`--sanitizer none`: the sanitizers need a nightly compiler; Rust's own checks, debug
# assertions included, still turn any bug into a crash).
#
# Targets (fuzz/fuzz_targets/):
#   unsigned          arbitrary headers and bodies: every provider (the mainstream presets
#                     too) refuses, nothing panics
#   signed            arbitrary bodies signed like each genuine sender: verification passes,
#                     parsing gives an event or a clear error, both paths agree on the id
#   standard_headers  hostile Standard Webhooks headers: acceptance only with the genuine MAC
#   preset_readers    the mainstream presets' readers: signature headers (Stripe, Paddle,
#                     Slack, Zoom, GitHub, Intercom, Shopify, Square, Twilio), the URLs Twilio
#                     and Square sign (configured URL, request target), and as `signed` does,
#                     each preset's bodies (form bodies: Twilio, Slack); acceptance only with
#                     the genuine MAC, genuine deliveries accepted
#                     (its seeds are also replayed by tests/fuzz_inputs.rs)
#
# Usage:
#   scripts/fuzz.sh            fuzz each target for 5 minutes (FUZZ_SECONDS to change)
#   scripts/fuzz.sh --ci       the seeds, then a fixed number of runs from a fixed seed per
#                              target: the same inputs on every run, a minute or two in all
# Inputs that crash land in fuzz/artifacts/<target>/; replay one with
#   cargo fuzz run -s none <target> <file>
set -euo pipefail
cd "$(dirname "$0")/.."

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz" >&2
    cargo install cargo-fuzz --version 0.13.2 --locked --quiet
fi

targets=(unsigned signed standard_headers preset_readers)
cargo fuzz build -s none
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

for target in "${targets[@]}"; do
    corpus="fuzz/corpus/$target"
    mkdir -p "$corpus"
    if [ "${1:-}" = "--ci" ]; then
        runs="${FUZZ_RUNS:-200000}"
        # preset_readers spreads its runs over 21 readers, each input costing one or two
        # MACs: five times the runs take about 20 s.
        [ "$target" = preset_readers ] && runs=$((runs * 5))
        flags=(-seed=1 -runs="$runs")
    else
        flags=(-max_total_time="${FUZZ_SECONDS:-300}")
    fi
    echo "==> fuzz $target ${flags[*]}"
    if cargo fuzz run -s none "$target" "$corpus" "fuzz/seeds/$target" -- "${flags[@]}" \
        >"$log" 2>&1; then
        grep -E '^Done ' "$log" || tail -n 3 "$log"
    else
        grep -E -A 12 'panicked|ERROR: libFuzzer' "$log" || tail -n 40 "$log"
        echo "fuzz target $target failed; the input is in fuzz/artifacts/$target/" >&2
        exit 1
    fi
done
