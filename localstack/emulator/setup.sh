#!/usr/bin/env bash
# Creates (or refreshes) the virtualenv that holds the embedded AWS API emulator: at the path
# given as the first argument (an installed package's per-user cache), or this folder's .venv.
# Idempotent: does nothing when the installed requirements match requirements.txt.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${1:-$here/.venv}"
stamp="$venv/.requirements.sha256"
python="${PYTHON:-python3}"

if ! command -v "$python" >/dev/null 2>&1; then
  echo "serverless-msa: Python 3 is required for the embedded emulator (install python3 >= 3.9, or set AWS_ENDPOINT_URL to a running LocalStack)" >&2
  exit 1
fi
want="$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)"
if [ -x "$venv/bin/moto_server" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
echo "serverless-msa: installing the embedded AWS emulator into $venv" >&2
mkdir -p "$(dirname "$venv")"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"
echo "$want" > "$stamp"
