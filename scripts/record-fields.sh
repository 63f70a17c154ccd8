#!/usr/bin/env bash
# Record sysdig's values of the fields listed in testdata/fields/CLASS.txt
# for every event of the shared captures, the example capture and the
# captures in testdata/captures, into
# testdata/golden/fields/CAPTURE.CLASS.txt.gz, for the field differential
# (internal/app/fields_test.go).
#   scripts/record-fields.sh [-s SHARED_DIR] [CLASS...]
# Needs sysdig (Debian's 0.29.3).
set -euo pipefail
cd "$(dirname "$0")/.."
shared=../shared
if [ "${1:-}" = -s ]; then shared=$2; shift 2; fi
classes=("$@")
if [ ${#classes[@]} -eq 0 ]; then
  for f in testdata/fields/*.txt; do classes+=("$(basename "$f" .txt)"); done
fi
out=testdata/golden/fields
mkdir -p "$out"
export TZ=UTC
for class in "${classes[@]}"; do
  # One record per event: RS, the event number, then US and each field.
  fmt=$'*\x1e%evt.num'
  while IFS= read -r line; do
    case "$line" in ''|'#'*) continue ;; esac
    fmt+=$'\x1f'"%$line"
  done < "testdata/fields/$class.txt"
  for cap in "$shared"/testdata/scap/*.scap examples/session.scap testdata/captures/*.scap; do
    name=$(basename "$cap" .scap)
    # sysdig 0.29.3 cannot open this one; it holds curl_google's events.
    [ "$name" = curl_google_comments ] && continue
    sysdig -r "$cap" -p "$fmt" 2>/dev/null | gzip -9n > "$out/$name.$class.txt.gz"
  done
done
ls -l "$out"
