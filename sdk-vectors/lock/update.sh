#!/usr/bin/env bash
# Recompile the lock files after a version changes in requirements.in or package.json:
#   requirements.txt   pip-compile --generate-hashes (every dependency pinned, the hashes of every file)
#   package-lock.json  npm install --package-lock-only, without registry URLs (npm ci needs only the
#                      integrity hashes, and fetches from whichever registry npm is configured with)
# Scratch space: $SDKWORK (default /tmp/sdkwork); review the diff before committing.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=${SDKWORK:-/tmp/sdkwork}/lock-tools
mkdir -p "$WORK"
[ -x "$WORK/venv/bin/pip-compile" ] || {
  python3 -m venv "$WORK/venv"
  "$WORK/venv/bin/pip" install --quiet --disable-pip-version-check pip-tools==7.7.0
}
(cd "$HERE" && "$WORK/venv/bin/pip-compile" --quiet --generate-hashes --allow-unsafe --no-emit-index-url \
  --no-emit-trusted-host --strip-extras --output-file requirements.txt requirements.in)

rm -rf "$WORK/npm" && mkdir -p "$WORK/npm"
cp "$HERE/package.json" "$WORK/npm/"
npm install --prefix "$WORK/npm" --package-lock-only --omit-lockfile-registry-resolved --no-audit --no-fund \
  --loglevel=error --engine-strict=false
cp "$WORK/npm/package-lock.json" "$HERE/package-lock.json"
