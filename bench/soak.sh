#!/usr/bin/env bash
# Soak: 'kestrel run' under a sustained load for several minutes, every
# output enabled, rules firing at a fixed rate. Reports:
#   - the resident memory (VmRSS) of the Kestrel process every INTERVAL
#     seconds, with the Go heap, the events per second, the drops, the
#     alerts and the size of the host model from /metrics; and its first,
#     least, largest and last value and its growth after the warm-up,
#     which should be flat;
#   - for each output, the alerts triggered against those delivered,
#     counted where they arrive (lines of the alert file, datagrams on a
#     syslog socket this script listens on, POSTs to a local HTTP
#     receiver, lines the program wrote, lines on stdout), against what
#     Kestrel says it sent, failed and dropped;
#   - the events per second Kestrel handled and the events lost in the
#     kernel or its queue.
#
# Load (bench/soak.py, for DURATION seconds):
#   LOAD_JOBS processes open, read 4 KiB and close files of /etc,
#   LOAD_RATE files per second in all; a loop starts CHURN_RATE short-lived
#   processes per second (the process table must not grow); and one loop
#   creates, opens and removes a marker file ALERT_RATE times per second,
#   each with its own name, which the one rule loaded matches: every open
#   is one alert, and its number in the file name tells which alerts each
#   output lost or repeated.
#
#	DURATION=30 bench/soak.sh      # a quick try
#	WRITE_README=1 bench/soak.sh   # five minutes; the report goes into README.md
# Kestrel: the rule file only, JSON alerts, the outputs stdout (to a file),
#   file_output, syslog_output (to a unix datagram socket), http_output (to
#   a local receiver) and program_output ('cat >> FILE'), keep_alive as
#   KEEP_ALIVE says, metrics at /metrics.
#
# Settings (environment):
#   DURATION=300    seconds of load
#   INTERVAL=10     seconds between samples
#   WARMUP=60       seconds after which the memory should be flat (DURATION/3
#                   when DURATION is under 180)
#   LOAD_RATE=50000 files opened, read and closed per second, in all
#   LOAD_JOBS=2     processes sharing LOAD_RATE
#   CHURN_RATE=20   processes started per second
#   ALERT_RATE=200  marker opens (alerts) per second
#   KEEP_ALIVE=1    keep_alive of the file, http and program outputs (0: a new
#                   open, connection or program for each alert)
#   QUEUE=0         outputs_queue.capacity (0: Kestrel's default, 1024 per output)
#   RING=8          --ring-size in MiB
#   SETTLE=3        seconds between the end of the load and stopping Kestrel
#   WRITE_README=0  1: put the report in README.md, between the lines
#                   <!-- soak:begin --> and <!-- soak:end -->
#
# The raw figures of the last run stay in bench/out/soak/. Needs root and a
# kernel with BTF; without them it says so and exits 0.
set -euo pipefail
shopt -s nullglob

cd "$(dirname "$0")/.."

DURATION=${DURATION:-300}
INTERVAL=${INTERVAL:-10}
if [[ -z ${WARMUP:-} ]]; then
	WARMUP=60
	((DURATION >= 180)) || WARMUP=$((DURATION / 3))
fi
LOAD_RATE=${LOAD_RATE:-50000}
LOAD_JOBS=${LOAD_JOBS:-2}
CHURN_RATE=${CHURN_RATE:-20}
ALERT_RATE=${ALERT_RATE:-200}
KEEP_ALIVE=${KEEP_ALIVE:-1}
QUEUE=${QUEUE:-0}
RING=${RING:-8}
SETTLE=${SETTLE:-3}
WRITE_README=${WRITE_README:-0}
GO=${GO:-go}
KESTREL=bin/kestrel
OUT=bench/out/soak
HELPER=bench/soak.py
RULE="Soak marker opened"
OUTPUTS=(stdout file syslog http program)

die() {
	echo "bench/soak.sh: $*" >&2
	exit 1
}

if [[ $(id -u) -ne 0 ]] || [[ ! -e /sys/kernel/btf/vmlinux ]]; then
	echo "bench/soak.sh: needs root and a kernel with BTF (/sys/kernel/btf/vmlinux); skipped" >&2
	exit 0
fi
command -v python3 >/dev/null || die "needs python3 (the load and the receivers)"
command -v curl >/dev/null || die "needs curl (reads /metrics)"
for v in DURATION INTERVAL WARMUP LOAD_RATE LOAD_JOBS CHURN_RATE ALERT_RATE QUEUE RING SETTLE; do
	[[ ${!v} =~ ^[0-9]+$ ]] || die "$v=${!v}: give a whole number"
done
((DURATION > 0 && INTERVAL > 0 && LOAD_JOBS > 0 && ALERT_RATE > 0)) || die "DURATION, INTERVAL, LOAD_JOBS and ALERT_RATE must be positive"
[[ $KEEP_ALIVE == 0 || $KEEP_ALIVE == 1 ]] || die "KEEP_ALIVE=$KEEP_ALIVE: give 0 or 1"
if [[ $WRITE_README == 1 ]]; then
	grep -q '^<!-- soak:begin -->$' README.md && grep -q '^<!-- soak:end -->$' README.md ||
		die "README.md has no <!-- soak:begin --> and <!-- soak:end --> lines"
fi

# Build bin/kestrel when it is missing or older than a source file.
if [[ ! -x $KESTREL ]] || [[ -n $(find . -path ./bench/out -prune -o \( -name '*.go' -o -name go.mod -o -name go.sum -o -name '*.o' \) -newer "$KESTREL" -print -quit) ]]; then
	echo "building $KESTREL" >&2
	$GO build -o "$KESTREL" ./cmd/kestrel
fi

tmp=$(mktemp -d /tmp/kestrel-soak.XXXXXX)
chmod 755 "$tmp"
agent=
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	if [[ -n $agent ]] && kill -0 "$agent" 2>/dev/null; then
		kill -INT "$agent" 2>/dev/null || true
		for _ in {1..100}; do kill -0 "$agent" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$agent" 2>/dev/null || true
	fi
	for p in "${pids[@]}" $agent; do wait "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The receivers: syslog datagrams and HTTP POSTs, one line each.
python3 "$HELPER" syslog "$tmp/syslog.sock" "$tmp/syslog.txt" &
pids+=($!)
python3 "$HELPER" http "$tmp/http.port" "$tmp/http.txt" &
pids+=($!)
for _ in {1..100}; do [[ -S $tmp/syslog.sock && -s $tmp/http.port ]] && break; sleep 0.1; done
[[ -S $tmp/syslog.sock && -s $tmp/http.port ]] || die "the receivers did not start"
http_port=$(<"$tmp/http.port")
web_port=$(python3 "$HELPER" freeport)

cat >"$tmp/rules.yaml" <<EOF
- rule: $RULE
  desc: the soak benchmark opened one of its marker files
  condition: evt.type in (open, openat, openat2) and evt.dir = < and fd.name startswith $tmp/marker-
  output: soak marker opened (file=%fd.name command=%proc.cmdline pid=%proc.pid user=%user.name)
  priority: WARNING
  tags: [soak]
EOF
ka=$([[ $KEEP_ALIVE == 1 ]] && echo true || echo false)
cat >"$tmp/kestrel.yaml" <<EOF
rules_files: [$tmp/rules.yaml]
watch_config_files: false
json_output: true
buffered_outputs: false
outputs_queue:
  capacity: $QUEUE
stdout_output:
  enabled: true
file_output:
  enabled: true
  keep_alive: $ka
  filename: $tmp/file.txt
syslog_output:
  enabled: true
  path: $tmp/syslog.sock
http_output:
  enabled: true
  url: http://127.0.0.1:$http_port/
  keep_alive: $ka
program_output:
  enabled: true
  keep_alive: $ka
  program: 'cat >> $tmp/program.txt'
webserver:
  enabled: true
  listen_address: 127.0.0.1
  listen_port: $web_port
  prometheus_metrics_enabled: true
metrics:
  enabled: true
  output_rule: false
log_syslog: false
EOF

"$KESTREL" run -c "$tmp/kestrel.yaml" --ring-size "$RING" >"$tmp/stdout.txt" 2>"$tmp/kestrel.err" &
agent=$!
metrics_url=http://127.0.0.1:$web_port/metrics
for _ in {1..300}; do
	kill -0 "$agent" 2>/dev/null || die "kestrel run exited: $(cat "$tmp/kestrel.err")"
	[[ $(curl -s "http://127.0.0.1:$web_port/healthz" 2>/dev/null) == *ok* ]] && break
	sleep 0.1
done
curl -sf "$metrics_url" >/dev/null || die "no metrics from kestrel at $metrics_url: $(cat "$tmp/kestrel.err")"

HZ=$(getconf CLK_TCK)
samples=$tmp/samples
: >"$samples"

# sample T: appends one row to the samples: T, VmRSS (KiB), Go heap in use
# (bytes), events handled, events dropped, alerts of the rule, alerts sent
# by all outputs, alerts dropped by all outputs, threads and fds in the
# host model, CPU ticks of the process, threads on the host (/proc); and
# prints it as a table row.
sample() {
	local t=$1 rss ticks m tasks
	rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$agent/status" 2>/dev/null) || return 1
	[[ -n $rss ]] || return 1
	ticks=$(awk '{ print $14 + $15 }' "/proc/$agent/stat" 2>/dev/null) || return 1
	tasks=(/proc/[0-9]*/task/[0-9]*)
	m=$(curl -sf --max-time 5 "$metrics_url") || return 1
	awk -v t="$t" -v rss="$rss" -v ticks="$ticks" -v host="${#tasks[@]}" -v rule="$RULE" '
		/^#/ { next }
		/^go_memstats_heap_inuse_bytes / { heap = $NF }
		/^kestrel_source_events_total / { ev = $NF }
		/^kestrel_events_dropped_total\{/ { drop += $NF }
		/^kestrel_alerts_total\{/ && index($0, "rule=\"" rule "\"") { al += $NF }
		/^kestrel_output_sent_total\{/ { sent += $NF }
		/^kestrel_output_dropped_total\{/ { odrop += $NF }
		/^kestrel_state_threads / { th = $NF }
		/^kestrel_state_fds / { fds = $NF }
		END { printf "%s %d %.0f %.0f %.0f %.0f %.0f %.0f %.0f %.0f %d %d\n", t, rss, heap, ev, drop, al, sent, odrop, th, fds, ticks, host }' <<<"$m" >>"$samples"
	tail -2 "$samples" | table | tail -1
}

# table: prints sample rows as table rows; the events per second and the
# CPU share of a row are over the time since the row before it.
table() {
	awk -v hz="$HZ" '{
		dt = NR > 1 ? $1 - pt : 0
		printf "| %d | %.1f | %.1f | %s | %s | %d | %d | %d | %d | %d | %d | %d |\n", $1, $2 / 1024, $3 / 1048576,
			(dt > 0 ? sprintf("%.0f", ($4 - pev) / dt) : "-"), (dt > 0 ? sprintf("%.0f%%", ($11 - ptk) / hz / dt * 100) : "-"),
			$5, $6, $7, $8, $9, $12, $10
		pt = $1; pev = $4; ptk = $11
	}'
}

header='| t (s) | RSS MiB | Go heap MiB | events/s | CPU | events lost | alerts | sent | out dropped | threads | host threads | fds |'
rule_line='|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|'
echo "kestrel run (pid $agent) is watching; ${DURATION} s of load, a sample every ${INTERVAL} s" >&2
echo "$header" >&2
echo "$rule_line" >&2
sample 0 >&2 || die "cannot sample kestrel"

# A sleeper on each CPU notes how late it wakes: a stall of the whole
# machine or of one CPU, which Kestrel cannot help, shows there.
watchers=()
for ((c = 0; c < $(nproc); c++)); do
	python3 "$HELPER" stalls "$c" "$tmp/stalls.$c" &
	watchers+=($!)
done
pids+=("${watchers[@]}")

# The load.
per_job=$(awk -v r="$LOAD_RATE" -v j="$LOAD_JOBS" 'BEGIN { print r / j }')
gens=()
for ((i = 0; i < LOAD_JOBS; i++)); do
	[[ $LOAD_RATE == 0 ]] && break
	python3 "$HELPER" load "$per_job" "$DURATION" 2>>"$tmp/load.log" &
	gens+=($!)
done
if ((CHURN_RATE > 0)); then
	python3 "$HELPER" churn "$CHURN_RATE" "$DURATION" &
	gens+=($!)
fi
python3 "$HELPER" markers "$tmp" "$ALERT_RATE" "$DURATION" "$tmp/triggered" &
gens+=($!)
pids+=("${gens[@]}")
start=$(date +%s.%N)

early=
for ((k = 1; k * INTERVAL <= DURATION; k++)); do
	now=$(date +%s.%N)
	delay=$(awk -v s="$start" -v k="$k" -v i="$INTERVAL" -v n="$now" 'BEGIN { d = s + k * i - n; print (d > 0 ? d : 0) }')
	sleep "$delay"
	if ! kill -0 "$agent" 2>/dev/null || ! sample $((k * INTERVAL)) >&2; then
		early=1
		break
	fi
done
for p in "${gens[@]}"; do wait "$p" || true; done
load_end=$(date +%s.%N)
for p in "${watchers[@]}"; do kill "$p" 2>/dev/null || true; done
for p in "${watchers[@]}"; do wait "$p" || true; done
[[ -n $early ]] || sleep "$SETTLE"
end_t=$(awk -v s="$start" -v n="$(date +%s.%N)" 'BEGIN { printf "%.0f", n - s }')
if [[ -z $early ]] && ! sample "$end_t" >&2; then
	early=1
fi
rc=0
if kill -0 "$agent" 2>/dev/null; then
	kill -INT "$agent"
	wait "$agent" || rc=$?
else
	wait "$agent" || rc=$?
	early=1
fi
agent=
# The receivers write each record as it arrives; stop them now that
# Kestrel has flushed its outputs.
for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
pids=()

triggered=$(cat "$tmp/triggered" 2>/dev/null || echo 0)
load_secs=$(awk -v s="$start" -v e="$load_end" 'BEGIN { printf "%.1f", e - s }')
files_read=$(awk '{ n += $2 } END { print n + 0 }' "$tmp/load.log" 2>/dev/null || echo 0)
err=$tmp/kestrel.err

# The receiving end: one file per output.
declare -A recv_file=([stdout]=$tmp/stdout.txt [file]=$tmp/file.txt [syslog]=$tmp/syslog.txt [http]=$tmp/http.txt [program]=$tmp/program.txt)
counts=$(python3 "$HELPER" count "$triggered" "${recv_file[@]}")

# Kestrel's own counts, from its summary on stderr.
raised=$(awk -v r="   $RULE: " 'index($0, r) == 1 { print substr($0, length(r) + 1) }' "$err")
raised=${raised:-0}
drop_line=$(grep -E '^kestrel: [0-9]+ events captured' "$err" || true)
# The seconds in which Kestrel warned of drops ("time=... msg="Falco
# internal: syscall event drop. N system calls dropped in last second.""),
# as "t=T s: N", T from the start of the load.
drop_warnings=$(grep -F 'syscall event drop' "$err" | sed -nE 's/^time=([^ ]+) .* ([0-9]+) system calls dropped.*/\1 \2/p' |
	while read -r when n; do
		echo "t=$(awk -v a="$(date -d "$when" +%s.%N)" -v s="$start" 'BEGIN { printf "%.0f", a - s }') s: $n events"
	done | paste -sd ';' | sed 's/;/; /g' || true)
stalls=$(cat /dev/null "$tmp"/stalls.* 2>/dev/null || true)
others=$(grep -v -F "\"rule\":\"$RULE\"" "$tmp/file.txt" 2>/dev/null | grep -oE '"rule":"[^"]*"' | sort | uniq -c |
	awk '{ n = $1; $1 = ""; sub(/^ "rule":"/, ""); sub(/"$/, ""); printf "%s%s (%d)", s, $0, n; s = ", " }' || true)

mkdir -p "$OUT"
cp "$samples" "$OUT/samples"
cp "$err" "$OUT/kestrel.err"
cp "$tmp/kestrel.yaml" "$tmp/rules.yaml" "$OUT/"
echo "$counts" >"$OUT/counts"

report=$OUT/report.md
{
	echo "Soak run (\`bench/soak.sh\`): kestrel $(git describe --always --dirty 2>/dev/null || echo '(no git)'), $(nproc) CPUs, kernel $(uname -r)."
	echo "${DURATION} s of load: ${LOAD_JOBS} processes opening, reading (4 KiB) and closing files of /etc,"
	echo "$LOAD_RATE files/s in all ($files_read in ${load_secs} s); ${CHURN_RATE} short-lived processes started per second"
	echo "(/bin/true, by Python's subprocess: vfork and execve); $ALERT_RATE marker opens per second, each one"
	echo "alert of the only rule loaded. Every output on, JSON alerts, keep_alive $ka (file, http, program),"
	echo "queues of $( ((QUEUE == 0)) && echo "1024 (the default)" || echo "$QUEUE") alerts, rings of $RING MiB."
	echo "Kestrel's resident memory (VmRSS) and, from /metrics, the Go heap in use, the events handled per"
	echo "second, Kestrel's CPU use (100% is one CPU), the events lost in the kernel or Kestrel's queue, the"
	echo "alerts of the rule, the alerts the outputs sent and dropped, the threads in Kestrel's model of the"
	echo "host and on the host (/proc), and the fds in the model"
	rows=$(wc -l <"$samples")
	every=$(((rows + 12) / 13))
	((every >= 1)) || every=1
	if ((every > 1)); then
		echo "(one sample in $every of $rows; t=0 is before the load, the last row ${SETTLE} s after it):"
	else
		echo "(t=0 is before the load, the last row ${SETTLE} s after it):"
	fi
	echo
	echo "$header"
	echo "$rule_line"
	awk -v e="$every" -v n="$rows" '(NR - 1) % e == 0 || NR == n' "$samples" | table
	echo
	awk -v w="$WARMUP" -v d="$DURATION" '
		{ t[NR] = $1; r[NR] = $2 / 1024; h[NR] = $3 / 1048576 }
		NR == 1 || $2 / 1024 < min { min = $2 / 1024; tmin = $1 }
		NR == 1 || $2 / 1024 > max { max = $2 / 1024; tmax = $1 }
		$1 >= w && !wi { wi = NR }
		$1 >= w { sx += $1; sy += $2 / 1024; sxx += $1 * $1; sxy += $1 * $2 / 1024; n++ }
		END {
			printf "RSS: %.1f MiB before the load, least %.1f MiB (t=%d s), largest %.1f MiB (t=%d s), last %.1f MiB.\n", r[1], min, tmin, max, tmax, r[NR]
			if (wi && NR > wi) {
				slope = (n > 1 && n * sxx - sx * sx > 0) ? (n * sxy - sx * sy) / (n * sxx - sx * sx) * 3600 : 0
				printf "After the %d s warm-up: %.1f MiB at t=%d s, %.1f MiB at the end: %+.1f MiB (%+.1f%%); least-squares slope %+.1f MiB/hour;\n", \
					w, r[wi], t[wi], r[NR], r[NR] - r[wi], (r[wi] > 0 ? (r[NR] - r[wi]) / r[wi] * 100 : 0), slope
				printf "Go heap in use %.1f MiB at t=%d s, %.1f MiB at the end.\n", h[wi], t[wi], h[NR]
				g = r[NR] - r[wi]
				if (g <= 2 || g <= r[wi] * 0.05)
					print "The resident memory is flat after the warm-up (it grew by less than 2 MiB or 5%)."
				else
					printf "**The resident memory is not flat**: it grew by %.1f MiB after the warm-up.\n", g
			} else
				print "Too few samples after the warm-up to tell a growth."
		}' "$samples"
	awk -v hz="$HZ" -v d="$DURATION" '
		NR == 1 { ev0 = $4; tk0 = $11; t0 = $1 }
		$1 <= d { ev = $4; tk = $11; t = $1 }
		{ th[NR] = $9; ht[NR] = $12; fd[NR] = $10 }
		END {
			printf "Events: %.0f handled in the %.0f s of load, %.0f events/s; Kestrel used %.0f%% of a CPU.\nHost model: %d threads before the load, %d at the end, when the host had %d and %d.\n", \
				ev - ev0, t - t0, (t > t0 ? (ev - ev0) / (t - t0) : 0), (t > t0 ? (tk - tk0) / hz / (t - t0) * 100 : 0), th[1], th[NR], ht[1], ht[NR]
			extra = th[NR] - ht[NR]
			if (extra > 50 && extra > ht[NR] / 5)
				printf "**The model holds %d threads more than the host runs**: threads that have ended stay in it, with their fds (%d fds in the model at the end, %d before the load).\n", extra, fd[NR], fd[1]
		}' "$samples"
	if [[ -n $drop_line ]]; then
		echo "Lost before the rules: ${drop_line#kestrel: } (Kestrel's summary)."
	else
		echo "Lost before the rules: no summary line from Kestrel (see below)."
	fi
	[[ -z $drop_warnings ]] || echo "Kestrel's drop warnings (events dropped in one second): $drop_warnings."
	awk -v s="$start" '
		$1 == "cpu" { w = w sep "cpu" $2 " " $3 " ms"; sep = ", " }
		$1 == "stall" { st = st sep2 sprintf("cpu%d at t=%.0f s, %d ms", $2, $3 - s, $4); sep2 = "; " }
		END {
			if (w == "") exit
			printf "Stalls: a process on each CPU, waking every 10 ms, woke late by at most %s", w
			if (st != "") printf "; over 100 ms: %s", st
			print "."
		}' <<<"$stalls"
	echo
	echo "Alerts: $triggered marker opens made (each should be one alert); Kestrel raised $raised alerts of the rule."
	echo "Delivered: records counted at the receiving end (all alerts / those of a marker, distinct markers,"
	echo "markers seen twice, markers missing) against Kestrel's count for the output (sent, failed, dropped);"
	echo "unaccounted: alerts raised but not delivered, less those Kestrel counted as failed or dropped:"
	echo
	echo "| output | received | of a marker | distinct | twice | missing | sent | failed | dropped | unaccounted |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	bad=0
	for o in "${OUTPUTS[@]}"; do
		read -r _ records markers distinct dups missing < <(grep -F "${recv_file[$o]} " <<<"$counts") || true
		read -r sent failed dropped < <(awk -v o="kestrel: output $o: " 'index($0, o) == 1 { gsub(/,/, ""); print $4, $6, $8 }' "$err") || true
		sent=${sent:--} failed=${failed:--} dropped=${dropped:--}
		unacc=-
		if [[ $sent != - ]]; then
			unacc=$((raised - distinct - failed - dropped))
		fi
		[[ $unacc == 0 && $dups == 0 ]] || bad=1
		echo "| $o | $records | $markers | $distinct | $dups | $missing | $sent | $failed | $dropped | $unacc |"
	done
	echo
	if [[ -n $early ]]; then
		echo "**Kestrel stopped before the end of the load** (exit status $rc); its last lines on stderr:"
		echo
		tail -20 "$err" | sed 's/^/    /'
	elif ((rc != 0)); then
		echo "Kestrel exited with status $rc."
	fi
	lost=$(awk '{ print $5 }' <<<"${drop_line:-x x x x 0}")
	if ((raised == triggered)); then
		echo "Every marker open raised its alert."
	elif ((lost > 0)); then
		echo "$((triggered - raised)) marker opens raised no alert: their events were among the $lost lost before the rules."
	else
		echo "**$((triggered - raised)) marker opens raised no alert, though Kestrel counted no event lost.**"
	fi
	[[ -z $others ]] || echo "The records not of a marker are Kestrel's own alerts: $others in the alert file."
	if ((bad == 0)); then
		echo "Every alert raised reached every output exactly once."
	else
		echo "**Some alerts were lost or repeated beyond what Kestrel counted** (the columns twice and unaccounted)."
	fi
} >"$report"

echo
cat "$report"
if [[ $WRITE_README == 1 ]]; then
	awk -v rep="$report" '
		/^<!-- soak:begin -->$/ { print; while ((getline l < rep) > 0) print l; skip = 1; next }
		/^<!-- soak:end -->$/ { skip = 0 }
		!skip' README.md >"$tmp/README.md"
	cat "$tmp/README.md" >README.md
	echo "README.md: soak report written" >&2
fi
