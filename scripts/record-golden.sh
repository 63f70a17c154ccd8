#!/usr/bin/env bash
# Re-record the sysdig reference output that Kestrel's tests compare against.
# Needs sysdig (Debian's 0.29.3) and the shared captures beside the checkout.
#   scripts/record-golden.sh [SHARED_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${1:-../shared}
out=testdata/golden
mkdir -p "$out"
export TZ=UTC
# name|sysdig flags: keep in sync with goldenCases in internal/app/golden_test.go.
cases=(
  "raw|-D -p %evt.num %evt.rawtime %evt.cpu %thread.tid %evt.dir %evt.type"
  "args|-D -p %evt.num %evt.args"
  "default|"
  "times|-p %evt.num %evt.time %evt.datetime %evt.datetime.s %evt.time.s %evt.time.iso8601 %evt.reltime %evt.reltime.s %evt.reltime.ns %evt.rawtime.s %evt.rawtime.ns %evt.deltatime %evt.deltatime.s %evt.deltatime.ns %evt.outputtime"
  "meta|-D -p %evt.num %proc.name %evt.dir %evt.type"
  "json|-j"
  "jsonfmt|-D -j -p %evt.num %evt.type %evt.rawtime %evt.cpu %thread.tid %evt.dir %proc.name %evt.args %evt.time %evt.reltime.s"
  "limit|-n 300"
)
for cap in "$shared"/testdata/scap/*.scap; do
  name=$(basename "$cap" .scap)
  src=$cap
  # sysdig 0.29.3 cannot open captures whose section header has options;
  # that file holds the same events as curl_google.scap.
  [ "$name" = curl_google_comments ] && continue
  for c in "${cases[@]}"; do
    cname=${c%%|*}
    flags=${c#*|}
    set -f
    # shellcheck disable=SC2086
    if [[ "$flags" == *" -p "* ]]; then
      pre=${flags%% -p *}; fmt=${flags#* -p }
      sysdig -r "$src" $pre -p "$fmt" 2>/dev/null > "$out/$name.$cname.txt"
    elif [[ "$flags" == "-p "* ]]; then
      sysdig -r "$src" -p "${flags#-p }" 2>/dev/null > "$out/$name.$cname.txt"
    else
      sysdig -r "$src" $flags 2>/dev/null > "$out/$name.$cname.txt"
    fi
    set +f
  done
done
gzip -9nf "$out"/*.txt
ls -l "$out"
