#!/usr/bin/env bash
# Create (or repair) the virtual environment and install the pinned dependencies.
# Idempotent: does nothing when .venv already matches requirements.lock.
set -euo pipefail
venv="${1:-.venv}"
here="$(cd "$(dirname "$0")/.." && pwd)"
lock="$here/requirements.lock"
stamp="$venv/.bootstrapped"
want="$(sha256sum "$lock" | cut -d' ' -f1)"

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && "$venv/bin/python" -c 'import rasa' >/dev/null 2>&1; then
    exit 0
fi

if ! "$venv/bin/python" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' >/dev/null 2>&1; then
    python="$("$here/tools/find-python.sh")"
    echo "==> [1/2] Creating $venv with $("$python" --version) ($python)"
    rm -rf "$venv"
    "$python" -m venv "$venv"
fi

echo "==> [2/2] Installing pinned dependencies from requirements.lock (first time: a few minutes)"
"$venv/bin/python" -m pip install --disable-pip-version-check --progress-bar on -r "$lock"
echo "$want" > "$stamp"
echo "==> Environment ready: $venv"
