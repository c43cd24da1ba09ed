#!/usr/bin/env bash
# One-command set-up for a fresh Debian 12 machine (or any machine with Node.js 20):
#   bash scripts/setup.sh          # npm dependencies + OpenMM/mdtraj for the checks against OpenMM + headless Chromium for the dashboard test
#   bash scripts/setup.sh --bench  # also redis-server and python3-celery for the Celery baselines
# The Debian packages are optional for running mdswarm itself (the builtin
# engine needs nothing but Node.js); tests that compare against OpenMM need them,
# and the dashboard's browser test drives Debian's chromium-headless-shell.
set -euo pipefail
cd "$(dirname "$0")/.."

want=(python3-simtk python3-mdtraj libopenmm-plugins chromium-headless-shell)
if [[ "${1:-}" == "--bench" ]]; then want+=(redis-server python3-celery python3-redis); fi

missing=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if (( ${#missing[@]} > 0 )); then
  if command -v apt-get >/dev/null 2>&1; then
    SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
    echo "setup: installing Debian packages: ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "setup: apt-get not found; install OpenMM 7.7+ and mdtraj for /usr/bin/python3 and a headless Chromium yourself (tests that need them will be skipped)" >&2
  fi
fi

if [[ -f package-lock.json ]]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
echo "setup: done. Run 'npm test', or 'npm start' for a local swarm demo."
