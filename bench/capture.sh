#!/usr/bin/env bash
# Live capture overhead: times syscall-heavy workloads alone and while
# Kestrel watches the host, in alternation, and reports for each the
# median wall time, the slowdown, the events per second Kestrel received
# and the events it lost.
#
# Workloads:
#   tight  one getppid loop per CPU, as fast as they go (CALLS calls each)
#   paced  one getppid loop per CPU, paced to RATE calls/s in all, for
#          PACED_SECS seconds: the "no drops at one million events per
#          second" check
#   tar    tar of TAR_DIR into a pipe (opens, stats, reads, writes)
# Modes:
#   base     nothing watching
#   capture  kestrel capture -w /dev/null (every syscall recorded)
#   run      kestrel run with the embedded default rules
#
# Settings (environment):
#   ROUNDS=5 CALLS=2000000 RATE=1000000 PACED_SECS=3 TAR_DIR=/usr/share
#   RING=8 (--ring-size in MiB)  SETTLE=2 (seconds for Kestrel to attach)
#   WORKLOADS="tight paced tar"  MODES="base capture run"
#   JOBS=$(nproc) (loops run side by side in tight and paced)
#
# Needs root and a kernel with BTF; without them it says so and exits 0.
set -euo pipefail

cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-5}
CALLS=${CALLS:-2000000}
RATE=${RATE:-1000000}
PACED_SECS=${PACED_SECS:-3}
TAR_DIR=${TAR_DIR:-/usr/share}
RING=${RING:-8}
SETTLE=${SETTLE:-2}
WORKLOADS=${WORKLOADS:-tight paced tar}
MODES=${MODES:-base capture run}
GO=${GO:-go}
KESTREL=bin/kestrel
OUT=bench/out
LOOP=$OUT/sysloop
JOBS=${JOBS:-$(nproc)}

die() {
	echo "bench/capture.sh: $*" >&2
	exit 1
}

if [[ $(id -u) -ne 0 ]] || [[ ! -e /sys/kernel/btf/vmlinux ]]; then
	echo "bench/capture.sh: needs root and a kernel with BTF (/sys/kernel/btf/vmlinux); skipped" >&2
	exit 0
fi

mkdir -p "$OUT"
if [[ ! -x $KESTREL ]] || [[ -n $(find . -path ./bench/out -prune -o \( -name '*.go' -o -name go.mod -o -name go.sum -o -name '*.o' \) -newer "$KESTREL" -print -quit) ]]; then
	echo "building $KESTREL" >&2
	$GO build -o "$KESTREL" ./cmd/kestrel
fi
$GO build -o "$LOOP" ./internal/tools/sysloop

# workload NAME: runs one workload.
workload() {
	local pids=() i
	case $1 in
	tight)
		for ((i = 0; i < JOBS; i++)); do "$LOOP" -n "$CALLS" 2>/dev/null & pids+=($!); done
		wait "${pids[@]}"
		;;
	paced)
		local per=$((RATE / JOBS)) n=$((RATE * PACED_SECS / JOBS))
		for ((i = 0; i < JOBS; i++)); do "$LOOP" -n "$n" -rate "$per" 2>/dev/null & pids+=($!); done
		wait "${pids[@]}"
		;;
	tar)
		tar cf - "$TAR_DIR" 2>/dev/null | cat >/dev/null
		;;
	*) die "unknown workload $1" ;;
	esac
}

# start_agent MODE LOG: starts Kestrel for MODE; its pid goes in agent.
start_agent() {
	case $1 in
	capture) "$KESTREL" capture -w /dev/null --ring-size "$RING" 2>"$2" & ;;
	run) "$KESTREL" run --ring-size "$RING" >/dev/null 2>"$2" & ;;
	*) die "unknown mode $1" ;;
	esac
	agent=$!
}

# timed NAME: prints the wall time of one run of workload NAME.
timed() {
	local start end
	start=$(date +%s.%N)
	workload "$1"
	end=$(date +%s.%N)
	awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f\n", b - a }'
}

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

results=$(mktemp)
log=$(mktemp)
trap 'rm -f "$results" "$log"' EXIT

for w in $WORKLOADS; do workload "$w"; done # warm the page cache and the binaries
for ((r = 1; r <= ROUNDS; r++)); do
	for w in $WORKLOADS; do
		for m in $MODES; do
			if [[ $m == base ]]; then
				echo "$w $m $(timed "$w") 0 0" >>"$results"
				continue
			fi
			start_agent "$m" "$log"
			sleep "$SETTLE"
			kill -0 "$agent" 2>/dev/null || die "kestrel $m exited: $(cat "$log")"
			secs=$(timed "$w")
			kill -INT "$agent"
			wait "$agent" || true
			# "kestrel: N events captured, D dropped (...)"
			read -r events dropped < <(awk '/events captured/ { print $2, $5 }' "$log")
			[[ -n ${events:-} ]] || die "no statistics from kestrel $m: $(cat "$log")"
			echo "$w $m $secs $events $dropped" >>"$results"
		done
	done
	echo "round $r of $ROUNDS done" >&2
done

echo "kestrel $(git describe --always --dirty 2>/dev/null || echo '(no git)'); $(nproc) cpus; kernel $(uname -r); ring $RING MiB; $ROUNDS rounds"
echo "events/s: events Kestrel received divided by the workload's time (they include the host's other"
echo "activity and the ${SETTLE} s before the workload starts); drops: the largest of a round"
printf '%-6s %-8s %9s %9s %12s %8s\n' workload mode median slowdown events/s drops
for w in $WORKLOADS; do
	base=$(awk -v w="$w" '$1 == w && $2 == "base" { print $3 }' "$results" | median)
	for m in $MODES; do
		med=$(awk -v w="$w" -v m="$m" '$1 == w && $2 == m { print $3 }' "$results" | median)
		rate=$(awk -v w="$w" -v m="$m" '$1 == w && $2 == m { print $4 / $3 }' "$results" | median)
		drops=$(awk -v w="$w" -v m="$m" '$1 == w && $2 == m && $5 > d { d = $5 } END { print d + 0 }' "$results")
		awk -v w="$w" -v m="$m" -v t="$med" -v b="$base" -v r="$rate" -v d="$drops" 'BEGIN {
			if (m == "base") printf "%-6s %-8s %8.3fs %9s %12s %8s\n", w, m, t, "-", "-", "-"
			else printf "%-6s %-8s %8.3fs %8.1f%% %12.0f %8d\n", w, m, t, (t / b - 1) * 100, r, d
		}'
	done
done
