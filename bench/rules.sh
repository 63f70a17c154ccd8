#!/usr/bin/env bash
# Replays a large capture through all 93 upstream Falco rules, every rule
# enabled (-t with every tag the files use selects them all, disabled ones
# included), with -A and rule_matching=all, on one core (GOMAXPROCS=1,
# taskset when available), and reports events per second and the share of
# time per stage (read, state, rules) from kestrel's hidden --stage-times.
# Not part of make test.
#
#   EVENTS=5000000  events in the capture (built once by internal/tools/mkbig)
#   RANGES=1000     thread-id ranges (see mkbig -ranges)
set -euo pipefail
cd "$(dirname "$0")/.."
EVENTS=${EVENTS:-5000000}
RANGES=${RANGES:-1000}
GO=${GO:-go}
KESTREL=bin/kestrel
OUT=bench/out
BIG=$OUT/big-$EVENTS-r$RANGES.scap
UP=../shared/testdata/rules/upstream

$GO build -o "$KESTREL" ./cmd/kestrel
mkdir -p "$OUT"
if [[ ! -s $BIG ]]; then
	$GO run ./internal/tools/mkbig -in examples/session.scap -events "$EVENTS" -ranges "$RANGES" -o "$BIG"
fi
rules=(-r "$UP/falco_rules.yaml" -r "$UP/falco-incubating_rules.yaml" -r "$UP/falco-sandbox_rules.yaml")
# Every tag any rule has: -t with all of them enables every rule.
tags=$("$KESTREL" rules list "${rules[@]}" --json | $GO run ./internal/tools/ruletags)
targs=()
for t in $tags; do targs+=(-t "$t"); done
nrules=$("$KESTREL" rules list "${rules[@]}" --json | grep -c '"name"')
pin=()
command -v taskset >/dev/null && pin=(taskset -c 0)
echo "kestrel $(git describe --always --dirty 2>/dev/null || echo '(no git)'); $nrules rules, all enabled; $(basename "$BIG")"
for run in 1 2 3; do
	GOMAXPROCS=1 "${pin[@]}" "$KESTREL" replay "$BIG" "${rules[@]}" "${targs[@]}" -A \
		-o rule_matching=all --hostname bench --stage-times >/dev/null 2>"$OUT/rules-stderr.txt"
	grep -E '^(Stage times|Events read|Events detected)' "$OUT/rules-stderr.txt" | sed "s/^/run $run: /"
done
