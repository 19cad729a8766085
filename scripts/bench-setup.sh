#!/usr/bin/env bash
# Installs what the PyTorch column of `npm run bench` / `npm run parity` needs, from Debian's
# packages: python3-torch and OpenBLAS (libopenblas0-pthread). Never fails the benchmark: without
# root or apt, the PyTorch column is skipped with a line saying why.
set -u
PY=${SEQLAB_PYTHON:-/usr/bin/python3}
if "$PY" -c 'import torch' 2>/dev/null && [ -e /usr/lib/x86_64-linux-gnu/openblas-pthread ] ; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    echo "bench-setup: not root and no passwordless sudo: cannot install python3-torch; the PyTorch column will be skipped" >&2
    exit 0
  fi
fi
if ! command -v apt-get >/dev/null; then
  echo "bench-setup: no apt-get: cannot install python3-torch; the PyTorch column will be skipped" >&2
  exit 0
fi
echo "bench-setup: installing python3-torch and libopenblas0-pthread (Debian packages)…" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y --no-install-recommends python3-torch libopenblas0-pthread >/dev/null 2>&1 \
  || { $SUDO apt-get update >/dev/null 2>&1 && $SUDO apt-get install -y --no-install-recommends python3-torch libopenblas0-pthread >/dev/null 2>&1; } \
  || echo "bench-setup: apt-get could not install python3-torch; the PyTorch column will be skipped" >&2
exit 0
