#!/usr/bin/env bash
# Install the senders' official SDKs (exact versions) into scratch space and regenerate every <sender>.json.
# Needs python3 (3.11+), node (20+) and npm; network access only to PyPI and the npm registry.
# Scratch space: $SDKWORK (default /tmp/sdkwork); nothing is installed inside the repository.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=${SDKWORK:-/tmp/sdkwork}
export SDKWORK_NPM="$WORK/npm"
unset TEST_MODE  # paddle-python-sdk turns its time-drift check off when TEST_MODE is set
export PYTHONDONTWRITEBYTECODE=1  # keep __pycache__ out of the repository

PY_PKGS=(stripe==16.1.0 slack_sdk==3.48.0 twilio==9.13.0 sendgrid==6.12.5 paddle-python-sdk==1.16.1
         squareup==46.0.0.20260916 cryptography==51.0.1)
NPM_PKGS=(@octokit/webhooks-methods@6.0.0 stripe@23.2.0 @shopify/shopify-api@15.0.0 @slack/bolt@5.1.0
          @zoom/rivet@0.4.0 discord-interactions@4.4.0 @linear/sdk@98.0.0 @paddle/paddle-node-sdk@3.10.0
          square@46.0.0 twilio@6.3.1)

mkdir -p "$WORK" "$SDKWORK_NPM"
[ -x "$WORK/venv/bin/python" ] || python3 -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install --quiet --disable-pip-version-check "${PY_PKGS[@]}"
[ -f "$SDKWORK_NPM/package.json" ] || echo '{ "private": true }' > "$SDKWORK_NPM/package.json"
# @shopify/shopify-api 15 declares node >= 22 but runs on node 20 for what is used here.
npm install --prefix "$SDKWORK_NPM" --save-exact --no-audit --no-fund --loglevel=error --engine-strict=false "${NPM_PKGS[@]}"

cd "$HERE"
for g in stripe slack twilio square paddle sendgrid; do "$WORK/venv/bin/python" "gen_$g.py"; done
for g in github shopify linear zoom discord; do node "gen_$g.mjs"; done
# Second official SDK for the same sender: adds "also_checked" verdicts to JSON written above.
for g in stripe_node slack_bolt twilio_node square_node paddle_node; do node "gen_$g.mjs"; done
