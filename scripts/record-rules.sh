#!/usr/bin/env bash
# Records, for each rule of testdata/rules/replay.yaml and each shared
# capture, the numbers of the events sysdig's filter selects with the
# rule's condition (as Kestrel builds it, exceptions expanded), into
# testdata/golden/rules/CAPTURE.txt: one "rule<TAB>num num …" line per rule;
# and the alert line and output fields of each selected event, as sysdig
# prints the rule's alert format with -p and with -j -p, into CAPTURE.text.txt
# and CAPTURE.json.txt ("rule<TAB>line").
# The replay test (go test ./internal/app -run Replay) compares Kestrel's
# alerts with these files, and with live sysdig when it is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
SYSDIG=${SYSDIG:-sysdig}
RULES=testdata/rules/replay.yaml
OUT=testdata/golden/rules
mkdir -p "$OUT"
conds=$(go run ./internal/tools/ruleconds "$RULES")
for cap in ../shared/testdata/scap/curl_google.scap ../shared/testdata/scap/single_ipv6_conn.scap examples/session.scap; do
	name=$(basename "$cap" .scap)
	: >"$OUT/$name.txt"
	: >"$OUT/$name.text.txt"
	: >"$OUT/$name.json.txt"
	while IFS=$'\t' read -r rule cond format; do
		nums=$(TZ=UTC "$SYSDIG" -r "$cap" -p '%evt.num' "$cond" | paste -sd' ' -)
		printf '%s\t%s\n' "$rule" "$nums" >>"$OUT/$name.txt"
		TZ=UTC "$SYSDIG" -r "$cap" -p "$format" "$cond" | sed "s/^/$rule\t/" >>"$OUT/$name.text.txt"
		TZ=UTC "$SYSDIG" -r "$cap" -j -p "$format" "$cond" | sed "s/^/$rule\t/" >>"$OUT/$name.json.txt"
	done <<<"$conds"
	echo "recorded $OUT/$name.txt"
done
