#!/usr/bin/env bash
# What each stage of a recorded syscall costs in the probe: builds
# variants of the probe that stop early (COST_STAGE, see
# driver/ebpf/bpf/record.h) from a temporary checkout of HEAD, runs a
# getppid loop alone and under `kestrel capture -w /dev/null` with each
# variant, in alternation, and reports the loop's CPU time per call (the
# median of the rounds) and the differences between the variants:
#
#   tracepoint   an empty program on the raw sys_exit tracepoint (the
#                kernel's slow syscall path and the program's call)
#   checks       the selection and task checks
#   clock        the clock read for the record's time
#   ring         the copy into the ring buffer
#
# (the record itself, the dispatch, the scratch buffer and the values, is
# what is left of "in all": within the noise of a getppid's two values)
#
# Needs root, BTF, clang and bpftool's headers (as make check-ebpf); not
# part of make test.
#
#   ROUNDS=5 CALLS=2000000 SETTLE=2
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-5}
CALLS=${CALLS:-2000000}
SETTLE=${SETTLE:-2}
GO=${GO:-go}
OUT=$(pwd)/bench/out/probecost
LOOP=$OUT/sysloop

if [[ $(id -u) -ne 0 || ! -r /sys/kernel/btf/vmlinux ]]; then
	echo "bench/probecost.sh: needs root and a kernel with BTF; skipped"
	exit 0
fi
mkdir -p "$OUT"
$GO build -o "$LOOP" ./internal/tools/sysloop
tree=$(mktemp -d)
trap 'git worktree remove --force "$tree" >/dev/null 2>&1 || true; rm -rf "$tree"' EXIT
git worktree add -q --detach "$tree" HEAD
cflags="-O2 -g -Wall -Werror -I/usr/include/x86_64-linux-gnu"
for stage in 0 1 2 3 4; do
	(cd "$tree/driver/ebpf" && GOPACKAGE=ebpf $GO tool bpf2go -target amd64 -cc clang -cflags "$cflags -DCOST_STAGE=$stage" \
		-no-global-types probe bpf/probe.c >/dev/null)
	(cd "$tree" && $GO build -o "$OUT/kestrel-stage$stage" ./cmd/kestrel)
done

# cpu_ns prints the loop's CPU time (user + system) per call, in ns.
cpu_ns() {
	/usr/bin/time -f '%U %S' "$LOOP" -n "$CALLS" 2>&1 >/dev/null | tail -1 |
		awk -v n="$CALLS" '{printf "%.0f\n", ($1 + $2) * 1e9 / n}'
}

# under runs the loop while a variant captures every syscall.
under() {
	"$OUT/kestrel-stage$1" capture -w /dev/null >/dev/null 2>&1 &
	local pid=$!
	sleep "$SETTLE"
	cpu_ns
	kill -INT "$pid"
	wait "$pid" || true
}

declare -A runs
for ((r = 1; r <= ROUNDS; r++)); do
	runs[base]+="$(cpu_ns) "
	for stage in 1 2 3 4 0; do
		runs[$stage]+="$(under $stage) "
	done
	echo "round $r of $ROUNDS done" >&2
done
median() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
base=$(median "${runs[base]}")
s1=$(median "${runs[1]}") s2=$(median "${runs[2]}") s3=$(median "${runs[3]}") s4=$(median "${runs[4]}") s0=$(median "${runs[0]}")
echo "kestrel $(git describe --always --dirty 2>/dev/null || echo '(no git)'); kernel $(uname -r); $ROUNDS rounds of $CALLS getppid calls"
printf '%-34s %8s\n' "loop CPU per call" "ns"
printf '%-34s %8s\n' "alone" "$base"
printf '%-34s %8s\n' "empty program (stage 1)" "$s1"
printf '%-34s %8s\n' "checks only (stage 2)" "$s2"
printf '%-34s %8s\n' "recorded, no clock (stage 3)" "$s3"
printf '%-34s %8s\n' "recorded, no ring copy (stage 4)" "$s4"
printf '%-34s %8s\n' "recorded (the probe as shipped)" "$s0"
echo
printf '%-34s %8s\n' "stage" "ns"
printf '%-34s %8d\n' "tracepoint" $((s1 - base))
printf '%-34s %8d\n' "checks" $((s2 - s1))
printf '%-34s %8d\n' "clock" $((s0 - s3))
printf '%-34s %8d\n' "ring" $((s0 - s4))
printf '%-34s %8d\n' "in all" $((s0 - base))
