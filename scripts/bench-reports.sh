#!/usr/bin/env bash
# Prints the Semarang sample brief with 12 phone-size photos (4032 × 3024) in
# English and Japanese through the release CLI, and reports its wall time,
# peak memory (maximum resident set size) and size. Targets: under 1 s and
# 3 MB. Needs ImageMagick (`convert`) and GNU time (`/usr/bin/time`).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release -q -p fieldbook-cli
fieldbook=target/release/fieldbook
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export FIELDBOOK_DB="$work/bench.db"

"$fieldbook" init >/dev/null
"$fieldbook" sample load >/dev/null
study=$("$fieldbook" --json study list | python3 -c '
import json, sys
print(next(s["id"] for s in json.load(sys.stdin) if "Semarang" in s["title"]))')
mapfile -t findings < <("$fieldbook" --json finding list --study-id "$study" |
  python3 -c 'import json, sys; [print(f["id"]) for f in json.load(sys.stdin)]')

echo "Making 12 photos of 4032 × 3024 pixels…"
for i in $(seq 0 11); do
  photo="$work/IMG_$(printf %04d "$i").jpg"
  convert -size 1008x756 -seed "$i" plasma:fractal -resize 4032x3024 \
    -attenuate 0.4 +noise Gaussian -quality 88 "$photo"
  "$fieldbook" attachment file --finding "${findings[$((i % ${#findings[@]}))]}" "$photo" >/dev/null
done
du -ch "$work"/IMG_*.jpg | tail -1 | sed 's/total/of photos/'

for run in 1 2 3; do
  /usr/bin/time -f "run $run: %e s wall, %M KB peak memory" \
    "$fieldbook" report brief --study "$study" --lang en,ja --out "$work/brief.pdf" >/dev/null
done
echo "brief: $(pdfinfo "$work/brief.pdf" | awk '/^Pages/ {print $2}') pages, $(( $(stat -c %s "$work/brief.pdf") / 1024 )) KB"
