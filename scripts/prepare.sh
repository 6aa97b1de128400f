#!/usr/bin/env bash
# npm's `prepare` script: runs on this repository's own `npm ci` / `npm install`, never when the
# packed package is installed as a dependency (a consumer's install builds nothing). It leaves
# this checkout ready: the package built (dist/) and the embedded emulator's virtualenv set up,
# so `npm start` needs nothing more. `npm pack` also runs `prepare`; there `prepack` builds.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

case "${npm_command:-}" in
  pack | publish) exit 0 ;;
esac

npm run build
# The emulator is optional here: the local platform installs it on first start if this fails.
bash localstack/emulator/setup.sh ||
  echo "serverless-msa: the embedded emulator is not installed yet; npm start will retry (or run npm run emulator:setup)" >&2
