#!/bin/sh
# Screenshot an HTML report (conformance.html, comparison.html) in headless Chromium, to look at the page as a
# reader sees it after a change to meterconform/render/.
#
# usage: scripts/screenshot_report.sh [PAGE.html] [OUT.png] [WIDTH,HEIGHT]
#   PAGE    default reports/conformance.html
#   OUT     default PAGE with .png instead of .html
#   SIZE    default 1400,2000 (a taller window shows more of the page: 1400,9000)
#
# A page from the fixed fixture, with every verdict label:
#   meterconform report tests/reports/data/all-verdicts.jsonl -o /tmp/rep-fixture
#   scripts/screenshot_report.sh /tmp/rep-fixture/conformance.html /tmp/shot.png
#
# Needs chromium (Debian: apt-get update && apt-get install -y --no-install-recommends chromium), or set
# CHROMIUM to a Chrome/Chromium binary. The page loads nothing from the network; the flags below keep the
# browser itself off the network too.
set -eu

page=${1:-reports/conformance.html}
out=${2:-${page%.html}.png}
size=${3:-1400,2000}

browser=${CHROMIUM:-$(command -v chromium || command -v chromium-headless-shell || command -v chromium-browser || command -v google-chrome || true)}
if [ -z "$browser" ]; then
    echo "screenshot_report.sh: no Chromium found; install it (apt-get install -y --no-install-recommends chromium) or set CHROMIUM" >&2
    exit 2
fi
if [ ! -f "$page" ]; then
    echo "screenshot_report.sh: $page does not exist; write it with \`meterconform run\` or \`meterconform report EVENTS -o DIR\`" >&2
    exit 2
fi

abs_page=$(cd "$(dirname "$page")" && pwd)/$(basename "$page")
case $out in /*) abs_out=$out ;; *) abs_out=$(pwd)/$out ;; esac
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT INT TERM

"$browser" --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
    --disable-sync --no-first-run --user-data-dir="$profile" --hide-scrollbars \
    --screenshot="$abs_out" --window-size="$size" "file://$abs_page" >/dev/null 2>&1 || true

if [ ! -s "$abs_out" ]; then
    echo "screenshot_report.sh: $browser wrote no screenshot of $abs_page" >&2
    exit 1
fi
echo "screenshot: $abs_out"
