#!/usr/bin/env bash
# Install what the tests need (Debian packages, a virtualenv with the Python packages), lint, test.
# Usage: bash tests/run.sh [pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
# System packages the tests drive for real.
PACKAGES="chromium qbittorrent-nox rtorrent openssh-server ffmpeg rclone fuse3"
missing=""
for pkg in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
if ! .venv/bin/python -m pip install -q -r tests/requirements.txt >.venv/pip.log 2>&1; then
  cat .venv/pip.log
  exit 1
fi
.venv/bin/pybabel compile -d app/translations >/dev/null
.venv/bin/ruff check .
exec .venv/bin/python -m pytest "$@"
