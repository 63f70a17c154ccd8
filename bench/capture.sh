#!/usr/bin/env bash
# Live capture overhead: times syscall-heavy workloads alone and while
# Kestrel watches the host, in alternation, and reports for each the
# median wall time, the slowdown (the median over the rounds of the time
# over that round's time alone), the events per second Kestrel received
# and the events it lost.
#
# Workloads:
#   tight  one getppid loop per CPU, as fast as they go (CALLS calls each)
#   paced  one getppid loop per CPU, paced to RATE calls/s in all, for
#          PACED_SECS seconds: the "no drops at one million events per
#          second" check
#   tar    tar of TAR_DIR into a pipe (opens, stats, reads, writes): a
#          syscall-dense mix
#   build  a build: the probe's C source compiled with clang, one compile
#          per CPU side by side (processes, maps, header reads; mostly
#          computation)
# Modes:
#   base     nothing watching
#   capture  kestrel capture -w /dev/null (every syscall recorded)
#   run      kestrel run with the embedded default rules (and its kernel filter)
#   upstream kestrel run with falcosecurity/rules' falco_rules.yaml (UPSTREAM=)
#   nofilter kestrel run with the default rules and kernel_filter.enabled=false
#   raw      kestrel run with the default rules, on the raw sys_exit tracepoint
#            (kernel_filter.per_syscall_hooks=off)
#   ring     kestrel run with the default rules and the flight recorder on
#            (-o capture.enabled=true: the ring, its checkpoints, the
#            capture.syscalls added to the selection and so the kernel filter off)
#   ringonly the same with -o capture.syscalls=[]: the ring over the rules'
#            selection alone, the kernel filter on (the ring's own cost)
#   hooks    kestrel run with the default rules, on the selected syscalls' own
#            exit tracepoints (per_syscall_hooks=auto): the script mounts tracefs
#            at /sys/kernel/tracing for the run when it is not mounted (and
#            unmounts it at the end), so that run (auto) then hooks too
#
# Settings (environment):
#   ROUNDS=5 CALLS=2000000 RATE=1000000 PACED_SECS=3 TAR_DIR=/usr/share
#   RING=8 (--ring-size in MiB)  SETTLE=2 (seconds for Kestrel to attach)
#   WORKLOADS="tight paced tar build"  MODES="base capture run"
#   JOBS=$(nproc) (loops or compiles side by side in tight, paced and build)
#   COMPARE=PATH (another kestrel binary, for instance one built from an
#   earlier commit: adds the modes capture@ref and run@ref, run with it in
#   the same alternation, so that a change is measured side by side)
#   BPF_STATS=0 (1: turn on the kernel's BPF run-time statistics and report
#   the mean ns per run of the syscall-exit program; they cost two clock
#   reads per run, so the times are then a little worse)
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
WORKLOADS=${WORKLOADS:-tight paced tar build}
MODES_SET=${MODES:-}
MODES=${MODES:-base capture run}
GO=${GO:-go}
KESTREL=bin/kestrel
OUT=bench/out
LOOP=$OUT/sysloop
JOBS=${JOBS:-$(nproc)}
BPF_STATS=${BPF_STATS:-0}
COMPARE=${COMPARE:-}
UPSTREAM=${UPSTREAM:-../shared/testdata/rules/upstream/falco_rules.yaml}

die() {
	echo "bench/capture.sh: $*" >&2
	exit 1
}

if [[ -n $COMPARE ]]; then
	[[ -x $COMPARE ]] || die "COMPARE=$COMPARE is not an executable"
	[[ -n ${MODES_SET:-} ]] || MODES="base capture capture@ref run run@ref"
fi

if [[ $(id -u) -ne 0 ]] || [[ ! -e /sys/kernel/btf/vmlinux ]]; then
	echo "bench/capture.sh: needs root and a kernel with BTF (/sys/kernel/btf/vmlinux); skipped" >&2
	exit 0
fi

mkdir -p "$OUT"
if [[ " $WORKLOADS " == *" build "* ]] && ! command -v clang >/dev/null; then
	echo "bench/capture.sh: the build workload needs clang; left out" >&2
	WORKLOADS=${WORKLOADS//build/}
fi
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
	build)
		for ((i = 0; i < JOBS; i++)); do
			clang -O2 -g -target bpf -D__TARGET_ARCH_x86 -I/usr/include/"$(uname -m)"-linux-gnu \
				-c driver/ebpf/bpf/probe.c -o "$OUT/probe$i.o" & pids+=($!)
		done
		wait "${pids[@]}"
		;;
	*) die "unknown workload $1" ;;
	esac
}

# start_agent MODE LOG: starts Kestrel for MODE; its pid goes in agent.
start_agent() {
	local bin=$KESTREL
	[[ $1 != *@ref ]] || bin=$COMPARE
	case ${1%@ref} in
	capture) "$bin" capture -w /dev/null --ring-size "$RING" 2>"$2" & ;;
	# (the web server on a port of its own choosing: 8765 may be taken)
	run) "$bin" run --ring-size "$RING" -o webserver.listen_port=0 >/dev/null 2>"$2" & ;;
	upstream) "$bin" run --ring-size "$RING" -o webserver.listen_port=0 -r "$UPSTREAM" >/dev/null 2>"$2" & ;;
	nofilter) "$bin" run --ring-size "$RING" -o webserver.listen_port=0 -o kernel_filter.enabled=false >/dev/null 2>"$2" & ;;
	raw) "$bin" run --ring-size "$RING" -o webserver.listen_port=0 -o kernel_filter.per_syscall_hooks=off >/dev/null 2>"$2" & ;;
	hooks) "$bin" run --ring-size "$RING" -o webserver.listen_port=0 -o kernel_filter.per_syscall_hooks=auto >/dev/null 2>"$2" & ;;
	ring) "$bin" run --ring-size "$RING" -o webserver.listen_port=0 -o capture.enabled=true >/dev/null 2>"$2" & ;;
	ringonly) "$bin" run --ring-size "$RING" -o webserver.listen_port=0 -o capture.enabled=true -o 'capture.syscalls=[]' >/dev/null 2>"$2" & ;;
	*) die "unknown mode $1" ;;
	esac
	agent=$!
}

# timed NAME: prints the wall time and the CPU time (user + system, of
# every process) of one run of workload NAME.
timed() {
	local TIMEFORMAT='%R %U %S' t
	t=$( { time workload "$1" >/dev/null 2>&1; } 2>&1)
	awk '{ printf "%.3f %.3f\n", $1, $2 + $3 }' <<<"$t"
}

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

results=$(mktemp)
log=$(mktemp)
stats_was=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null || echo 0)
agent=
tracefs_mounted=
trap 'rm -f "$results" "$log"; [[ -z $agent ]] || kill "$agent" 2>/dev/null; [[ $BPF_STATS != 1 ]] || sysctl -qw kernel.bpf_stats_enabled="$stats_was"; [[ -z $tracefs_mounted ]] || umount /sys/kernel/tracing' EXIT
if [[ " $MODES " == *" hooks "* ]] && ! grep -qE ' /sys/kernel(/debug)?/tracing tracefs ' /proc/mounts; then
	mount -t tracefs nodev /sys/kernel/tracing || die "hooks: cannot mount tracefs"
	tracefs_mounted=1
fi
if [[ $BPF_STATS == 1 ]]; then
	command -v bpftool >/dev/null && command -v jq >/dev/null || die "BPF_STATS=1 needs bpftool and jq"
	sysctl -qw kernel.bpf_stats_enabled=1
fi

# agent_ticks PID: prints the CPU time (user + system) of the agent so far,
# in clock ticks.
HZ=$(getconf CLK_TCK)
agent_ticks() { awk '{ print $14 + $15 }' /proc/"$1"/stat; }

# prog_ns PID: prints the mean ns per run of the agent's syscall-exit
# programs (the raw tracepoint's or the per-syscall tracepoints') since they
# were loaded (0 without BPF_STATS=1).
prog_ns() {
	[[ $BPF_STATS == 1 ]] || { echo 0; return; }
	# the programs the agent holds, by the prog_id of its descriptors
	local ids
	ids=$(cat /proc/"$1"/fdinfo/* 2>/dev/null | awk '/^prog_id:/ { printf "%s%s", s, $2; s = "," }')
	bpftool -j prog show 2>/dev/null | jq -r "[.[] | select((.name == \"on_sys_exit\" or .name == \"on_syscall_exit\") and ([.id] | inside([$ids])))]
		| (map(.run_cnt // 0) | add // 0) as \$n | (map(.run_time_ns // 0) | add // 0) as \$t
		| if \$n == 0 then 0 else (\$t / \$n | floor) end"
}

for w in $WORKLOADS; do workload "$w"; done # warm the page cache and the binaries
for ((r = 1; r <= ROUNDS; r++)); do
	for w in $WORKLOADS; do
		for m in $MODES; do
			if [[ $m == base ]]; then
				read -r secs cpu < <(timed "$w")
				echo "$w $m $secs 0 0 0 $r $cpu" >>"$results"
				continue
			fi
			start_agent "$m" "$log"
			sleep "$SETTLE"
			kill -0 "$agent" 2>/dev/null || die "kestrel $m exited: $(cat "$log")"
			t0=$(agent_ticks "$agent")
			read -r secs cpu < <(timed "$w")
			t1=$(agent_ticks "$agent")
			ns=$(prog_ns "$agent")
			kill -INT "$agent"
			wait "$agent" || true
			agent=
			# "kestrel: N events captured, D dropped (...)"
			read -r events dropped < <(awk '/events captured/ { print $2, $5 }' "$log")
			[[ -n ${events:-} ]] || die "no statistics from kestrel $m: $(cat "$log")"
			echo "$w $m $secs $events $dropped $ns $r $cpu $(((t1 - t0) * 1000000000 / HZ))" >>"$results"
		done
	done
	echo "round $r of $ROUNDS done" >&2
done

echo "kestrel $(git describe --always --dirty 2>/dev/null || echo '(no git)'); $(nproc) cpus; kernel $(uname -r); ring $RING MiB; $ROUNDS rounds"
echo "events/s: events Kestrel received divided by the workload's time (they include the host's other"
echo "activity and the ${SETTLE} s before the workload starts); drops: the largest of a round"
[[ $BPF_STATS != 1 ]] || echo "ns/run: mean time of one run of the syscall-exit program (kernel BPF statistics, median of the rounds)"
[[ -z $COMPARE ]] || echo "@ref: $COMPARE"
echo "slowdown: the median of each round's wall time over that round's time alone; cpu: the same for"
echo "the workload's CPU time (user + system), which the host's other work disturbs less: it holds the"
echo "probe's cost, paid in the workload's own syscalls, but not Kestrel's user-space work; user ns/ev:"
echo "Kestrel's own CPU time during the workload per event it received (median of the rounds)"
printf '%-6s %-11s %9s %9s %7s %12s %8s %11s %7s\n' workload mode median slowdown cpu events/s drops "user ns/ev" ns/run
for w in $WORKLOADS; do
	for m in $MODES; do
		med=$(awk -v w="$w" -v m="$m" '$1 == w && $2 == m { print $3 }' "$results" | median)
		rate=$(awk -v w="$w" -v m="$m" '$1 == w && $2 == m { print $4 / $3 }' "$results" | median)
		drops=$(awk -v w="$w" -v m="$m" '$1 == w && $2 == m && $5 > d { d = $5 } END { print d + 0 }' "$results")
		ns=$(awk -v w="$w" -v m="$m" '$1 == w && $2 == m { print $6 }' "$results" | median)
		# the median of each round's ratio to that round's base time:
		# the host's load drifts less within a round than across rounds
		ratio=$(awk -v w="$w" -v m="$m" '$1 == w && $2 == "base" { b[$7] = $3 } $1 == w && $2 == m { t[$7] = $3 }
			END { for (r in t) if (b[r] > 0) print t[r] / b[r] }' "$results" | median)
		uns=$(awk -v w="$w" -v m="$m" '$1 == w && $2 == m && $4 > 0 { print $9 / $4 }' "$results" | median)
		cratio=$(awk -v w="$w" -v m="$m" '$1 == w && $2 == "base" { b[$7] = $8 } $1 == w && $2 == m { t[$7] = $8 }
			END { for (r in t) if (b[r] > 0) print t[r] / b[r] }' "$results" | median)
		awk -v w="$w" -v m="$m" -v t="$med" -v q="$ratio" -v c="$cratio" -v r="$rate" -v d="$drops" -v u="$uns" -v ns="$ns" 'BEGIN {
			if (m == "base") printf "%-6s %-11s %8.3fs %9s %7s %12s %8s %11s %7s\n", w, m, t, "-", "-", "-", "-", "-", "-"
			else printf "%-6s %-11s %8.3fs %8.1f%% %6.1f%% %12.0f %8d %11.0f %7s\n", w, m, t, (q - 1) * 100, (c - 1) * 100, r, d, u, (ns > 0 ? ns : "-")
		}'
	done
done
