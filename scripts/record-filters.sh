#!/usr/bin/env bash
# Record which events sysdig's filter selects, for every filter of
# filter/corpus/filters.txt that sysdig 0.29.3 accepts, on the shared
# captures and the example capture, into testdata/golden/filters/CAPTURE.txt.gz:
# one line per filter, the filter, a tab, and the matching event numbers.
#   scripts/record-filters.sh [SHARED_DIR]
# Needs sysdig (Debian's 0.29.3).
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${1:-../shared}
out=testdata/golden/filters
mkdir -p "$out"
export TZ=UTC
for cap in "$shared"/testdata/scap/*.scap examples/session.scap testdata/captures/*.scap; do
  name=$(basename "$cap" .scap)
  # sysdig 0.29.3 cannot open this one; it holds curl_google's events.
  [ "$name" = curl_google_comments ] && continue
  while IFS=$'\t' read -r verdict filter; do
    [ "$verdict" = accept ] || continue
    nums=$(sysdig -r "$cap" -p '%evt.num' "$filter" 2>/dev/null | tr '\n' ' ' | sed 's/ $//')
    printf '%s\t%s\n' "$filter" "$nums"
  done < filter/corpus/filters.txt | gzip -9n > "$out/$name.txt.gz"
done
ls -l "$out"
