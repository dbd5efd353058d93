#!/usr/bin/env sh
# Print the path of a Python 3.10 interpreter, or explain what to install and fail.
# Order: python3.10 on PATH, then pyenv's newest 3.10.x (via `pyenv root` or ~/.pyenv).
# Rasa Open Source 3.6 supports Python 3.8-3.10 only; this project pins 3.10.
is_310() { "$1" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' >/dev/null 2>&1; }

if command -v python3.10 >/dev/null 2>&1 && is_310 python3.10; then
    command -v python3.10
    exit 0
fi

root=""
if command -v pyenv >/dev/null 2>&1; then root=$(pyenv root 2>/dev/null); fi
[ -n "$root" ] || root="${PYENV_ROOT:-$HOME/.pyenv}"
if [ -d "$root/versions" ]; then
    for candidate in $(ls -d "$root"/versions/3.10.* 2>/dev/null | sort -t. -k3 -n -r); do
        if is_310 "$candidate/bin/python"; then
            echo "$candidate/bin/python"
            exit 0
        fi
    done
fi

cat >&2 <<'MSG'
error: Python 3.10 was not found.
  Rasa Open Source 3.6 runs on Python 3.8-3.10 and this project is pinned to 3.10.
  Install it, then run the command again:
    - with pyenv:            pyenv install 3.10
    - on Debian/Ubuntu:      sudo apt install python3.10 python3.10-venv
    - on macOS (Homebrew):   brew install python@3.10
MSG
exit 1
