#!/usr/bin/env bash
# Installs what the harness needs on a fresh Debian machine: Debian's adb, libimobiledevice-utils and
# postgresql (with apt-get, when missing) and a .venv with the project and its dev tools. PostgreSQL is
# for the shared farm (docs/farm.md) and its tests, which start a private cluster of their own; the
# package's own cluster service is not needed.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
PYTHON="${PYTHON:-python3}"

need_apt=()
command -v adb >/dev/null 2>&1 || need_apt+=(adb)
command -v ideviceinfo >/dev/null 2>&1 || need_apt+=(libimobiledevice-utils)
# Debian keeps initdb/pg_ctl off PATH, under /usr/lib/postgresql/<version>/bin (harness/farm/_cluster.py looks there).
if ! command -v initdb >/dev/null 2>&1 && ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
  need_apt+=(postgresql)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then SUDO=(); elif command -v sudo >/dev/null 2>&1; then SUDO=(sudo); else SUDO=(none); fi
  if [ "${SUDO[0]:-}" = none ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "bootstrap: missing ${need_apt[*]} and apt-get is not usable here." >&2
    echo "bootstrap: install them by hand, e.g.: sudo apt-get install -y ${need_apt[*]}" >&2
    exit 1
  fi
  echo "bootstrap: installing ${need_apt[*]} with apt-get"
  "${SUDO[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null
"$VENV/bin/python" -m pip install -q -e '.[dev]'
touch "$VENV/.installed"
