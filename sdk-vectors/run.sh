#!/usr/bin/env bash
# Regenerate every <sender>.json with the senders' official SDKs, installed at the pinned versions by
# install.sh (skipped when SDKWORK_INSTALLED=1). Output: the directory given as $1, else this one.
# Scratch space: $SDKWORK (default /tmp/sdkwork); nothing is installed inside the repository.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=${SDKWORK:-/tmp/sdkwork}
export SDKWORK_NPM="$WORK/npm"
unset TEST_MODE  # paddle-python-sdk turns its time-drift check off when TEST_MODE is set
export PYTHONDONTWRITEBYTECODE=1  # keep __pycache__ out of the repository
export SDK_VECTORS_OUT=${1:-$HERE}
mkdir -p "$SDK_VECTORS_OUT"

[ "${SDKWORK_INSTALLED:-}" = 1 ] || SDKWORK="$WORK" bash "$HERE/install.sh"

cd "$HERE"
for g in stripe slack twilio square paddle sendgrid; do "$WORK/venv/bin/python" "gen_$g.py"; done
for g in github shopify linear zoom discord; do node "gen_$g.mjs"; done
# Second official SDK for the same sender: adds "also_checked" verdicts to JSON written above.
for g in stripe_node slack_bolt twilio_node square_node paddle_node; do node "gen_$g.mjs"; done
