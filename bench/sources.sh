#!/usr/bin/env bash
# The sources other than syscall, on one core (GOMAXPROCS=1, taskset when
# available): events per second through each upstream plugin rules file
# (each event decoded once, every rule run, alerts built), and the
# Kubernetes audit webhook's throughput end to end over loopback HTTP
# (EventLists of 100 events posted by two clients, split, queued, judged
# by the upstream k8s audit rules). Go benchmarks (go test -bench), run
# COUNT times; the table takes the median. Not part of make test.
#
#   COUNT=5  BENCHTIME=2s
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${COUNT:-5}
BENCHTIME=${BENCHTIME:-2s}
GO=${GO:-go}
OUT=bench/out
mkdir -p "$OUT"
pin=()
command -v taskset >/dev/null && pin=(taskset -c 0)
raw=$OUT/sources-bench.txt
echo "kestrel $(git describe --always --dirty 2>/dev/null || echo '(no git)'); one core; $COUNT runs of $BENCHTIME"
GOMAXPROCS=1 "${pin[@]}" $GO test -run '^$' -bench 'UpstreamRules|Webhook' -benchtime "$BENCHTIME" -count "$COUNT" -cpu 1 \
	./source/k8saudit ./source/cloudtrail ./source/okta ./source/github >"$raw"
# pkg: lines name the source; each benchmark line carries events/s.
awk '
	/^pkg:/ { n = split($2, p, "/"); src = p[n] }
	/^Benchmark/ {
		for (i = 1; i < NF; i++) if ($(i+1) == "events/s") v = $i
		key = src " " $1
		vals[key] = vals[key] " " v
		if (!(key in seen)) { seen[key] = 1; order[++k] = key }
	}
	END {
		printf "%-12s %-24s %14s\n", "source", "benchmark", "events/s"
		for (j = 1; j <= k; j++) {
			m = split(vals[order[j]], a, " ")
			# median: sort the m values
			for (x = 1; x <= m; x++) for (y = x + 1; y <= m; y++) if (a[y] + 0 < a[x] + 0) { t = a[x]; a[x] = a[y]; a[y] = t }
			split(order[j], kk, " ")
			printf "%-12s %-24s %14.0f\n", kk[1], kk[2], a[int((m + 1) / 2)]
		}
	}' "$raw"
