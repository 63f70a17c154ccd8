#!/usr/bin/env bash
# Process churn: times 'kestrel read -p %evt.num CHURN > /dev/null' on a
# capture of many short-lived processes (each: clone, execve, opens and
# closes, exit; see internal/replay/churn.go) and reports the events per
# second and the peak resident memory, which must stay flat however many
# processes the capture holds. Run it with two sizes to see that:
#
#	PROCS=100000 bench/churn.sh; PROCS=1000000 bench/churn.sh
#
# The capture is built once into bench/out/ by internal/tools/mkbig -churn.
#
# Settings (environment):
#   PROCS=1000000   short-lived processes in the capture
#   RUNS=3          timed runs (the median time and the largest peak RSS are reported)
#
# Peak RSS comes from GNU time (/usr/bin/time -v) when installed, otherwise
# from the VmHWM line of the process's /proc status, read until it exits.
set -euo pipefail

cd "$(dirname "$0")/.."

PROCS=${PROCS:-1000000}
RUNS=${RUNS:-3}
GO=${GO:-go}
KESTREL=bin/kestrel
OUT=bench/out
CAP=$OUT/churn-$PROCS.scap
FORMAT='%evt.num'

die() {
	echo "bench/churn.sh: $*" >&2
	exit 1
}

# Build bin/kestrel when it is missing or older than a source file.
if [[ ! -x $KESTREL ]] || [[ -n $(find . -path ./bench/out -prune -o \( -name '*.go' -o -name go.mod -o -name go.sum \) -newer "$KESTREL" -print -quit) ]]; then
	echo "building $KESTREL" >&2
	$GO build -o "$KESTREL" ./cmd/kestrel
fi

mkdir -p "$OUT"
if [[ ! -s $CAP ]]; then
	$GO run ./internal/tools/mkbig -churn "$PROCS" -o "$CAP"
fi

# Events printed per process:
# every process has the same events, so the total must be PROCS times this.
per=$($GO run ./internal/tools/mkbig -churn 1 -q -o "$OUT/churn-1.scap" && "$KESTREL" read "$OUT/churn-1.scap" -p "$FORMAT" | wc -l)
[[ $per -gt 0 ]] || die "cannot count the events of one churn process"

# run_gnu_time: prints "SECONDS PEAK_KIB" of one run, with GNU time.
run_gnu_time() {
	local log
	log=$(mktemp)
	/usr/bin/time -v -o "$log" "$KESTREL" read "$CAP" -p "$FORMAT" >/dev/null
	awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i] }
	            /Maximum resident set size/ { k = $2 }
	            END { printf "%.3f %d\n", s, k }' "$log"
	rm -f "$log"
}

# run_proc: prints "SECONDS PEAK_KIB" of one run, sampling VmHWM.
run_proc() {
	local pid hwm=0 v start end
	start=$(date +%s.%N)
	"$KESTREL" read "$CAP" -p "$FORMAT" >/dev/null &
	pid=$!
	while v=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status" 2>/dev/null) && [[ -n $v ]]; do
		((v > hwm)) && hwm=$v
		sleep 0.05
	done
	wait "$pid" || die "kestrel read failed"
	end=$(date +%s.%N)
	awk -v a="$start" -v b="$end" -v k="$hwm" 'BEGIN { printf "%.3f %d\n", b - a, k }'
}

runner=run_proc
how="VmHWM sampled every 50 ms"
if [[ -x /usr/bin/time ]] && /usr/bin/time -v true 2>/dev/null; then
	runner=run_gnu_time
	how="GNU time"
fi

lines=$("$KESTREL" read "$CAP" -p "$FORMAT" | wc -l) # also warms the page cache
times=()
peak=0
for ((i = 0; i < RUNS; i++)); do
	read -r secs kib < <($runner)
	times+=("$secs")
	((kib > peak)) && peak=$kib
done
secs=$(printf '%s\n' "${times[@]}" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
[[ $lines -eq $((per * PROCS)) ]] || die "kestrel printed $lines events, want $per per process"

echo "kestrel $(git describe --always --dirty 2>/dev/null || echo '(no git)'); $(nproc) cpus"
echo "$CAP: $PROCS short-lived processes, $lines events printed ($per per process)"
awk -v s="$secs" -v n="$lines" -v p="$PROCS" -v k="$peak" -v how="$how" -v r="$RUNS" 'BEGIN {
	printf "  time      %.2f s (median of %d runs)\n", s, r
	printf "  rate      %.2f M events/s, %.0f k processes/s\n", (s > 0 ? n / s / 1e6 : 0), (s > 0 ? p / s / 1e3 : 0)
	printf "  peak RSS  %.1f MiB (%s)\n", k / 1024, how
}'
