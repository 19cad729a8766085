#!/usr/bin/env bash
# Renders the Marketplace icon, media/icon.png (128×128), from the activity-bar glyph media/seqlab.svg:
# the glyph's strokes in white on a rounded dark-blue tile (the gallery banner's colour). Run once
# after changing the glyph and commit the PNG; it needs rsvg-convert (Debian: librsvg2-bin) and,
# to shrink the file, pngquant (optional).
#   bash scripts/render-icon.sh
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The glyph's inner elements (everything between its <svg> tags), drawn in white.
glyph=$(sed -e '1d' -e '$d' media/seqlab.svg)
cat >"$tmp/icon.svg" <<SVG
<svg xmlns="http://www.w3.org/2000/svg" width="128" height="128" viewBox="0 0 128 128">
  <defs>
    <linearGradient id="bg" x1="0" y1="0" x2="0" y2="1">
      <stop offset="0" stop-color="#2b4a6f"/>
      <stop offset="1" stop-color="#1e2a3a"/>
    </linearGradient>
  </defs>
  <rect x="4" y="4" width="120" height="120" rx="22" fill="url(#bg)"/>
  <g transform="translate(16 16) scale(4)" fill="none" stroke="#ffffff" stroke-width="1.6"
     stroke-linecap="round" stroke-linejoin="round">
$glyph
  </g>
</svg>
SVG
rsvg-convert -w 128 -h 128 "$tmp/icon.svg" -o media/icon.png
if command -v pngquant >/dev/null; then pngquant --force --skip-if-larger --output media/icon.png -- media/icon.png || true; fi
echo "media/icon.png: $(wc -c <media/icon.png) bytes"
