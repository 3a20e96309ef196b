#!/usr/bin/env bash
# Renders a ModelBuild HTML report to a PNG with headless Chromium (installed from Debian's packages if missing).
# Usage: build/tools/screenshot-report.sh <report.html> <out.png> [width] [height]
set -euo pipefail

if [ "$#" -lt 2 ]; then
  echo "usage: $0 <report.html> <out.png> [width=1280] [height=2000]" >&2
  exit 2
fi

html="$(realpath "$1")"
out="$(realpath -m "$2")"
width="${3:-1280}"
height="${4:-2000}"
[ -f "$html" ] || { echo "$0: no such file: $1" >&2; exit 2; }

browser="$(command -v chromium || command -v chromium-browser || true)"
if [ -z "$browser" ]; then
  echo "chromium not found; installing Debian's chromium package" >&2
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
  browser="$(command -v chromium)"
fi

# A throw-away profile, and no background networking: the page needs no network and the machine may have none.
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
mkdir -p "$(dirname "$out")"
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
  --disable-quic --no-first-run --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --force-device-scale-factor=1 \
  --window-size="$width,$height" --screenshot="$out" "file://$html" 2>/dev/null
[ -s "$out" ] || { echo "$0: chromium wrote no screenshot" >&2; exit 1; }
echo "$out"
