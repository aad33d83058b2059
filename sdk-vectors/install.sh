#!/usr/bin/env bash
# Install the senders' official SDKs at exactly the versions the lock files pin, into scratch space
# ($SDKWORK, default /tmp/sdkwork; nothing is installed inside the repository):
#   $SDKWORK/venv  pip, every package pinned and hash-checked (--require-hashes, lock/requirements.txt)
#   $SDKWORK/npm   npm ci from lock/package-lock.json (exact versions, integrity hashes checked)
# Needs python3 (3.11+), node (20+) and npm; network access only to PyPI and the npm registry. A package
# that cannot be installed stops the script with pip's or npm's error: nothing is skipped.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=${SDKWORK:-/tmp/sdkwork}
for tool in python3 node npm; do
  command -v "$tool" >/dev/null || { echo "sdk-vectors/install.sh: $tool is required" >&2; exit 1; }
done

mkdir -p "$WORK/npm"
[ -x "$WORK/venv/bin/python" ] || python3 -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install --quiet --disable-pip-version-check --require-hashes -r "$HERE/lock/requirements.txt"

cp "$HERE/lock/package.json" "$HERE/lock/package-lock.json" "$WORK/npm/"
# @shopify/shopify-api 15 declares node >= 22 but runs on node 20 for what is used here.
npm ci --prefix "$WORK/npm" --no-audit --no-fund --loglevel=error --engine-strict=false
