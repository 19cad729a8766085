#!/usr/bin/env bash
# Rebuilds examples/forecast/sunspots.csv: yearly sunspot numbers 1700–2008, the copy statsmodels
# ships (public domain), taken from its wheel with pip (no Python install of statsmodels needed).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m pip download statsmodels --no-deps --quiet -d "$tmp"
python3 - "$tmp" <<'PY'
import glob, sys, zipfile
wheel = glob.glob(sys.argv[1] + '/statsmodels-*.whl')[0]
with zipfile.ZipFile(wheel) as z:
    text = z.read('statsmodels/datasets/sunspots/sunspots.csv').decode()
lines = [l.replace('"', '') for l in text.strip().splitlines()]
open('examples/forecast/sunspots.csv', 'w').write('\n'.join(lines) + '\n')
print(f'examples/forecast/sunspots.csv: {len(lines) - 1} rows from {wheel.split("/")[-1]}')
PY
