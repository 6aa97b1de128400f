#!/usr/bin/env bash
# Installs LocalStack 4.14.0 (localstack-core, no Docker needed) into a project-local virtualenv,
# localstack/localstack-host/.venv, for the host-mode LocalStack lane (`npm run test:localstack`).
# Idempotent: does nothing when the stamp matches what this script installs.
#
# Why these pins: 4.14.0 is the last LocalStack release that runs without an account; it needs
# Python 3.13 (3.11 and 3.12 fail on its syntax and imports); its dependencies must be resolved as
# of its release date, because later cbor2 and pyOpenSSL releases break it. pip learned
# --uploaded-prior-to in 26.0.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv"
stamp="$venv/.installed"
localstack_version="4.14.0"
released_by="2026-02-27T00:00:00Z"
pip_version="26.0.1"
# The pytest suite's libraries (localstack/tests) and the host-mode plugins (./plugin) go in too.
suite="pytest==9.0.2 localstack-utils==1.0.4"
plugin_hash="$(find "$here/plugin" -type f \( -name '*.py' -o -name '*.json' -o -name '*.toml' \) | sort | xargs cat | sha256sum | cut -d' ' -f1)"
want="localstack-core[runtime]==$localstack_version $suite plugin=$plugin_hash uploaded-prior-to=$released_by pip==$pip_version"

if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi

# Python 3.13: LOCALSTACK_PYTHON wins; otherwise pyenv's newest 3.13.x; otherwise python3.13 on PATH.
python="${LOCALSTACK_PYTHON:-}"
if [ -z "$python" ]; then
  pyenv_root="${PYENV_ROOT:-}"
  if [ -z "$pyenv_root" ] && command -v pyenv >/dev/null 2>&1; then pyenv_root="$(pyenv root)"; fi
  [ -n "$pyenv_root" ] || pyenv_root="$HOME/.pyenv"
  candidate="$(ls -d "$pyenv_root"/versions/3.13.* 2>/dev/null | sort -V | tail -n 1 || true)"
  if [ -n "$candidate" ] && [ -x "$candidate/bin/python" ]; then
    python="$candidate/bin/python"
  elif command -v python3.13 >/dev/null 2>&1; then
    python="$(command -v python3.13)"
  fi
fi
if [ -z "$python" ] || ! "$python" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 13) else 1)' 2>/dev/null; then
  echo "serverless-msa: LocalStack $localstack_version in host mode needs Python 3.13 (found none under ${pyenv_root:-pyenv} or on PATH as python3.13)." >&2
  echo "  Install it (e.g. \`pyenv install 3.13\`) or set LOCALSTACK_PYTHON=/path/to/python3.13." >&2
  exit 1
fi

echo "serverless-msa: installing LocalStack $localstack_version (host mode) into $venv with $python" >&2
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "pip==$pip_version"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  --uploaded-prior-to "$released_by" "localstack-core[runtime]==$localstack_version" $suite
# Non-editable, so the build leaves nothing behind in the source folder.
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  --uploaded-prior-to "$released_by" --force-reinstall --no-deps "$here/plugin"
rm -rf "$here/plugin/build"
echo "$want" > "$stamp"
