#!/usr/bin/env bash
# Times 'kestrel read -p FORMAT BIG [FILTER] > /dev/null' against
# 'sysdig -r BIG -p FORMAT [FILTER] > /dev/null' on one large capture, in
# one run, and prints the events per second of each and their ratio: plain
# reads first, then reads with the filters of FILTERS.
#
# The capture is built once into bench/out/ by internal/tools/mkbig, which
# replays examples/session.scap with shifted timestamps and thread ids.
#
# Settings (environment):
#   RUNS=5          timed runs of each command (the median is reported)
#   IN=examples/session.scap
#                   the capture replayed into the large one (e.g.
#                   ../shared/testdata/scap/curl_google.scap)
#   EVENTS=5000000  events in the capture
#   RANGES=1000     thread-id ranges the replayed rounds cycle through (see
#                   mkbig -ranges; 0 gives each round its own, and a process
#                   list of one thread per round)
#   GZIP=1          also time the gzip form of the capture (first format only)
#
# hyperfine is used when installed; otherwise bash's time builtin, with the
# two tools' runs interleaved.
set -euo pipefail

cd "$(dirname "$0")/.."

RUNS=${RUNS:-5}
IN=${IN:-examples/session.scap}
EVENTS=${EVENTS:-5000000}
RANGES=${RANGES:-1000}
GZIP=${GZIP:-1}
GO=${GO:-go}
KESTREL=bin/kestrel
OUT=bench/out
BIG=$OUT/big-$EVENTS-r$RANGES.scap
if [[ $IN != examples/session.scap ]]; then
	BIG=$OUT/$(basename "$IN" .scap)-$EVENTS-r$RANGES.scap
fi
FORMATS=(
	'%evt.num %evt.type'
	'%evt.num %evt.rawtime %evt.cpu %thread.tid %evt.dir %evt.type %evt.args'
)
# A simple condition, a typical one, and a rule-sized one with long lists.
names=$(seq -f 'tool%g' 1 300 | paste -sd, -)
FILTERS=(
	'evt.type = open and proc.name = cat'
	'evt.type in (open, openat, execve, connect) and evt.dir = < and (fd.name startswith /etc or proc.name in (bash, sh, curl, cat))'
	"evt.dir = < and evt.type in (open, openat, read, write, close) and not proc.name in ($names) and not fd.directory in (/usr/lib, /lib, /var/run, /proc, $names) and (fd.name startswith /etc or fd.name contains ssh)"
)

die() {
	echo "bench/read.sh: $*" >&2
	exit 1
}

if ! SYSDIG=$(command -v sysdig); then
	die "sysdig is not installed; it is the reference this benchmark compares with (Debian/Ubuntu: sudo apt-get install -y sysdig)"
fi

# Build bin/kestrel when it is missing or older than a source file.
if [[ ! -x $KESTREL ]] || [[ -n $(find . -path ./bench/out -prune -o \( -name '*.go' -o -name go.mod -o -name go.sum \) -newer "$KESTREL" -print -quit) ]]; then
	echo "building $KESTREL" >&2
	$GO build -o "$KESTREL" ./cmd/kestrel
fi

mkdir -p "$OUT"
if [[ ! -s $BIG ]]; then
	$GO run ./internal/tools/mkbig -in "$IN" -events "$EVENTS" -ranges "$RANGES" -o "$BIG"
fi
if [[ $GZIP == 1 && ! -s $BIG.gz ]]; then
	$GO run ./internal/tools/mkbig -in "$IN" -events "$EVENTS" -ranges "$RANGES" -z -o "$BIG.gz"
fi

# rate EVENTS SECONDS: events per second, in millions.
rate() { awk -v n="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.2f", n / s / 1e6; else print "inf" }'; }
# ratio A B: A / B.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "inf" }'; }
# median: the median of the numbers on stdin.
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# lines_sum CMD...: "LINES CKSUM" of the command's output, in one pass.
lines_sum() {
	local dir n pid
	dir=$(mktemp -d)
	mkfifo "$dir/fifo"
	cksum <"$dir/fifo" >"$dir/sum" &
	pid=$!
	n=$("$@" | tee "$dir/fifo" | wc -l)
	wait "$pid"
	echo "$n $(cut -d' ' -f1 "$dir/sum")"
	rm -rf "$dir"
}

# kcmd FILE FORMAT [FILTER] and scmd …: the two commands, as arrays in KCMD and SCMD.
cmds() {
	KCMD=("$KESTREL" read "$1" -p "$2")
	SCMD=("$SYSDIG" -r "$1" -p "$2")
	if [[ -n ${3:-} ]]; then
		KCMD+=("$3")
		SCMD+=("$3")
	fi
}

# check FILE FORMAT [FILTER]: both tools print the same number of lines; says
# whether the text is the same too. Also warms the page cache.
check() {
	local file=$1 format=$2 kl ks sl ss
	cmds "$@"
	read -r kl ks < <(lines_sum "${KCMD[@]}")
	read -r sl ss < <(lines_sum "${SCMD[@]}")
	if [[ $kl != "$sl" ]]; then
		die "$file, -p '$format' ${3:-}: kestrel printed $kl lines, sysdig $sl"
	fi
	if [[ $ks == "$ss" ]]; then
		echo "  lines     $kl from each, the same text"
	else
		echo "  lines     $kl from each (the text differs)"
	fi
}

# time_bash FILE FORMAT [FILTER]: prints "wall user+sys" medians for kestrel, then
# for sysdig, from RUNS interleaved runs each.
time_bash() {
	local i t
	local -a kw=() kc=() sw=() sc=()
	local TIMEFORMAT='%3R %3U %3S'
	cmds "$@"
	for ((i = 0; i < RUNS; i++)); do
		t=$({ time "${KCMD[@]}" >/dev/null 2>&1; } 2>&1)
		kw+=("${t%% *}")
		kc+=("$(awk '{ print $2 + $3 }' <<<"$t")")
		t=$({ time "${SCMD[@]}" >/dev/null 2>&1; } 2>&1)
		sw+=("${t%% *}")
		sc+=("$(awk '{ print $2 + $3 }' <<<"$t")")
	done
	echo "$(printf '%s\n' "${kw[@]}" | median) $(printf '%s\n' "${kc[@]}" | median)"
	echo "$(printf '%s\n' "${sw[@]}" | median) $(printf '%s\n' "${sc[@]}" | median)"
}

# time_hyperfine FILE FORMAT [FILTER]: as time_bash, with hyperfine (wall: median;
# cpu: mean user + system).
time_hyperfine() {
	local json
	json=$(mktemp)
	cmds "$@"
	hyperfine --style none --runs "$RUNS" --export-json "$json" -N \
		--command-name kestrel "$(printf '%q ' "${KCMD[@]}")" \
		--command-name sysdig "$(printf '%q ' "${SCMD[@]}")" >/dev/null
	awk '/"median":/ { gsub(/[,]/, ""); m = $2 }
	     /"user":/   { gsub(/[,]/, ""); u = $2 }
	     /"system":/ { gsub(/[,]/, ""); s = $2; printf "%.3f %.3f\n", m, u + s }' "$json"
	rm -f "$json"
}

timer=time_bash
how="bash time, interleaved"
if command -v hyperfine >/dev/null; then
	timer=time_hyperfine
	how="hyperfine"
fi

# bench FILE FORMAT [FILTER]: one comparison.
bench() {
	local file=$1 format=$2 kw kc sw sc
	echo
	echo "$(basename "$file"), -p '$format'"
	[[ -n ${3:-} ]] && echo "  filter    $(cut -c1-150 <<<"$3")"
	check "$@"
	{ read -r kw kc; read -r sw sc; } < <($timer "$@")
	printf '  %-9s %7.2f s  %6s M events/s   (cpu %6.2f s: %6s M events/s)\n' kestrel "$kw" "$(rate "$EVENTS" "$kw")" "$kc" "$(rate "$EVENTS" "$kc")"
	printf '  %-9s %7.2f s  %6s M events/s   (cpu %6.2f s: %6s M events/s)\n' sysdig "$sw" "$(rate "$EVENTS" "$sw")" "$sc" "$(rate "$EVENTS" "$sc")"
	echo "  ratio     kestrel is $(ratio "$sw" "$kw")x faster (wall), $(ratio "$sc" "$kc")x (cpu)"
}

echo "kestrel $(git describe --always --dirty 2>/dev/null || echo '(no git)') against $("$SYSDIG" --version 2>/dev/null | head -1)"
echo "$(nproc) cpus; $EVENTS events per capture; median of $RUNS runs ($how); output to /dev/null"
bench "$BIG" "${FORMATS[0]}"
bench "$BIG" "${FORMATS[1]}"
if [[ $GZIP == 1 ]]; then
	bench "$BIG.gz" "${FORMATS[0]}"
fi
for f in "${FILTERS[@]}"; do
	bench "$BIG" "${FORMATS[0]}" "$f"
done
