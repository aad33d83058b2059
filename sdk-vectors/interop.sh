#!/usr/bin/env bash
# The SDK interop suite, both directions (what .ci/run runs; one command locally):
#   1. the senders' SDKs sign, the crate verifies: install the SDKs pinned by lock/, regenerate every
#      <sender>.json into scratch space, check that they are the committed files byte for byte, and run
#      the crate's sender tests (tests/sender_*.rs) against the fresh files;
#   2. the crate signs, the SDKs verify: tests/signed_for_sdks.rs writes the testing kit's signed cases,
#      and check_<sender>.py|mjs run every case through the sender's official SDK(s).
# Any disagreement, or an SDK that cannot be installed, fails the run (non-zero exit, cases listed).
# Scratch space: $SDKWORK (default /tmp/sdkwork). Cargo flags: $INTEROP_CARGO_FLAGS (default
# "--workspace --all-features", the flags of the CI's test step, so that nothing is rebuilt there).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
export SDKWORK=${SDKWORK:-/tmp/sdkwork}
export SDKWORK_NPM="$SDKWORK/npm"
unset TEST_MODE  # paddle-python-sdk turns its time-drift check off when TEST_MODE is set
export PYTHONDONTWRITEBYTECODE=1  # keep __pycache__ out of the repository
read -r -a CARGO_FLAGS <<< "${INTEROP_CARGO_FLAGS:---workspace --all-features}"
FRESH="$SDKWORK/vectors"
SIGNED="$SDKWORK/signed-by-crate"
rm -rf "$FRESH" "$SIGNED"
step() { printf '\n--> %s\n' "$*"; }

step "install the senders' SDKs at the pinned versions (sdk-vectors/lock/)"
bash "$HERE/install.sh"

step "1. the SDKs sign, the crate verifies: regenerate the vectors into $FRESH"
SDKWORK_INSTALLED=1 bash "$HERE/run.sh" "$FRESH"
changed=0
for file in "$HERE"/*.json; do
  if ! cmp -s "$file" "$FRESH/$(basename "$file")"; then
    echo "sdk-vectors/$(basename "$file") differs from what the pinned SDKs produce now:" >&2
    diff -u "$file" "$FRESH/$(basename "$file")" | head -40 >&2 || true
    changed=1
  fi
done
[ "$changed" = 0 ] || { echo "regenerate with sdk-vectors/run.sh and review the change" >&2; exit 1; }
echo "the committed vectors are what the pinned SDKs produce"
(cd "$HERE/.." && WEBHOOK_RECEIVER_SDK_VECTORS="$FRESH" cargo test "${CARGO_FLAGS[@]}" --test 'sender_*')

step "2. the crate signs, the SDKs verify"
(cd "$HERE/.." && WEBHOOK_RECEIVER_SIGNED_FOR_SDKS="$SIGNED" cargo test "${CARGO_FLAGS[@]}" --test signed_for_sdks)
export WEBHOOK_RECEIVER_SIGNED_FOR_SDKS="$SIGNED"
failed=()
cd "$HERE"
for check in check_*.py; do "$SDKWORK/venv/bin/python" "$check" || failed+=("$check"); done
for check in check_*.mjs; do node "$check" || failed+=("$check"); done
if [ "${#failed[@]}" -gt 0 ]; then
  echo "an SDK disagrees with the crate's signers: ${failed[*]}" >&2
  exit 1
fi
echo "every SDK agrees with the crate's signers"
