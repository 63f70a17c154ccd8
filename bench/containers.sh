#!/usr/bin/env bash
# Container churn: podman containers are created and destroyed in a loop
# while events flow, under 'kestrel run', once with the container lookups
# on and once with them off, side by side in one run. Reports:
#   - the time the rules take per event (kestrel_rule_evaluation_seconds_total
#     over kestrel_rule_evaluations_total) and Kestrel's CPU time per event,
#     with and without lookups: the event loop never waits on a lookup, so
#     they should not move; and the events lost by the probe;
#   - Kestrel's resident memory (VmRSS) at the start, the middle and the end
#     of each run, which should stay flat;
#   - the lookups by result and their mean latency, and the container
#     records left in the model at the end against the containers alive
#     (a record is forgotten when its runtime reports the container removed);
#   - from the alerts of the run with lookups, the share of the alerts from
#     containers that name the container and its image, for short-lived and
#     longer-lived containers, and the containers started.
#
# Workload (the same in both runs, DURATION seconds each):
#   SHORT_JOBS loops each running, one after another, containers that live
#   well under a second ('podman run --rm IMAGE sh -c "cat /etc/hostname;
#   busybox ls /bin"'); LONG_JOBS loops running containers that live about
#   LONG_SECS seconds (a command and a file open every second); and, on the
#   host, bench/soak.py opening files of /etc (LOAD_RATE per second) and
#   starting short-lived processes (CHURN_RATE per second), so that events
#   flow at a steady rate.
# Kestrel: one rule, on programs started and files opened in a container,
#   whose output names %container.id, %container.name and
#   %container.image.repository; JSON alerts to a file; /metrics sampled
#   every INTERVAL seconds. With lookups on, the only runtime asked is a
#   podman API service this script starts on a socket of its own
#   ('podman system service'); with lookups off, no runtime is asked.
#
#	DURATION=20 bench/containers.sh   # a quick try
#	bench/containers.sh               # two runs of 60 s
#
# Settings (environment):
#   DURATION=60     seconds of load in each run
#   INTERVAL=5      seconds between samples of /metrics
#   SHORT_JOBS=3    loops of short-lived containers
#   LONG_JOBS=1     loops of longer-lived containers
#   LONG_SECS=5     seconds a longer-lived container lives
#   LOAD_RATE=5000  files of /etc opened, read and closed per second on the host
#   CHURN_RATE=10   processes started per second on the host
#   ORDER="on off"  the order of the runs (container lookups on, off)
#   SETTLE=5        seconds between the end of the load and the last sample
#   RING=8          --ring-size in MiB
#   IMAGE=localhost/kestrel-busybox:test   the image the containers run; built
#                   from the host's static /bin/busybox when absent, as the
#                   tests build it (internal/ctrtest), with no registry
#
# Podman runs with the settings this kind of host needs (runc, default
# ulimits within the hard limits: see internal/ctrtest.PodmanEnv), unless
# CONTAINERS_CONF is set. The report goes to bench/out/containers-DATE.txt;
# the raw figures of the last run stay in bench/out/containers/. Needs root,
# a kernel with BTF, podman and python3; without them it says so and exits 0.
# Every container, the podman service and Kestrel are stopped on exit.
set -euo pipefail
shopt -s nullglob

cd "$(dirname "$0")/.."

DURATION=${DURATION:-60}
INTERVAL=${INTERVAL:-5}
SHORT_JOBS=${SHORT_JOBS:-3}
LONG_JOBS=${LONG_JOBS:-1}
LONG_SECS=${LONG_SECS:-5}
LOAD_RATE=${LOAD_RATE:-5000}
CHURN_RATE=${CHURN_RATE:-10}
ORDER=${ORDER:-on off}
SETTLE=${SETTLE:-5}
RING=${RING:-8}
IMAGE=${IMAGE:-localhost/kestrel-busybox:test}
GO=${GO:-go}
KESTREL=bin/kestrel
OUT=bench/out
RAW=$OUT/containers
HELPER=bench/soak.py
RULE="Container activity"

die() {
	echo "bench/containers.sh: $*" >&2
	exit 1
}

skip() {
	echo "bench/containers.sh: $*; skipped" >&2
	exit 0
}

[[ $(id -u) -eq 0 && -e /sys/kernel/btf/vmlinux ]] || skip "needs root and a kernel with BTF (/sys/kernel/btf/vmlinux)"
command -v podman >/dev/null || skip "needs podman"
command -v python3 >/dev/null || die "needs python3 (the host load and the alert counts)"
command -v curl >/dev/null || die "needs curl (reads /metrics)"
for v in DURATION INTERVAL SHORT_JOBS LONG_JOBS LONG_SECS LOAD_RATE CHURN_RATE SETTLE RING; do
	[[ ${!v} =~ ^[0-9]+$ ]] || die "$v=${!v}: give a whole number"
done
((DURATION > 0 && INTERVAL > 0 && SHORT_JOBS + LONG_JOBS > 0)) || die "DURATION, INTERVAL and SHORT_JOBS+LONG_JOBS must be positive"
for r in $ORDER; do
	[[ $r == on || $r == off ]] || die "ORDER=$ORDER: give on and off"
done

# Build bin/kestrel when it is missing or older than a source file.
if [[ ! -x $KESTREL ]] || [[ -n $(find . -path ./bench/out -prune -o \( -name '*.go' -o -name go.mod -o -name go.sum -o -name '*.o' \) -newer "$KESTREL" -print -quit) ]]; then
	echo "building $KESTREL" >&2
	$GO build -o "$KESTREL" ./cmd/kestrel
fi

# Not a long path: the podman socket lives here.
tmp=$(mktemp -d /tmp/kestrel-ctrs.XXXXXX)
chmod 755 "$tmp"
# Every container of this script is named $tag-...: cleanup finds them so.
tag=kestrel-bench-$$
agent=
service=
pids=()

# stop_pid PID: SIGTERM (or the signal given second), then SIGKILL after
# 10 s; waits for the process.
stop_pid() {
	local p=$1 sig=${2:-TERM}
	kill -0 "$p" 2>/dev/null || { wait "$p" 2>/dev/null || true; return 0; }
	kill -"$sig" "$p" 2>/dev/null || true
	for _ in {1..100}; do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
}

# remove_containers: removes what is left of this script's containers.
remove_containers() {
	local ids
	ids=$(podman ps -aq --filter "name=^$tag-" 2>/dev/null || true)
	[[ -z $ids ]] || podman rm -f -t 0 $ids >/dev/null 2>&1 || true
}

cleanup() {
	local p
	touch "$tmp/stop" 2>/dev/null || true
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	remove_containers
	# A 'podman run' left by a loop may create its container only now.
	sleep 1
	remove_containers
	[[ -z $agent ]] || stop_pid "$agent" INT
	[[ -z $service ]] || stop_pid "$service"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Podman's settings: runc (crun cannot run on a hybrid cgroup host) and
# default ulimits within the hard ones (podman cannot raise them), as
# internal/ctrtest.PodmanEnv writes them.
if [[ -z ${CONTAINERS_CONF:-} ]]; then
	nofile=$(ulimit -Hn)
	nproc=$(ulimit -Hu)
	[[ $nofile != unlimited ]] || nofile=1048576
	[[ $nproc != unlimited ]] && ((nproc < 32768)) || nproc=32768 # conmon's own hard limit
	{
		echo "[containers]"
		echo "default_ulimits = [\"nofile=$nofile:$nofile\", \"nproc=$nproc:$nproc\"]"
		if command -v runc >/dev/null; then
			echo "[engine]"
			echo 'runtime = "runc"'
		fi
	} >"$tmp/containers.conf"
	export CONTAINERS_CONF=$tmp/containers.conf
fi

# The image: the host's static busybox and a few links, imported with no
# registry (internal/ctrtest.BuildImage builds the same).
if ! podman image exists "$IMAGE"; then
	[[ -x /bin/busybox ]] || die "a static /bin/busybox is needed to build $IMAGE"
	echo "building $IMAGE" >&2
	mkdir -p "$tmp/rootfs/bin" "$tmp/rootfs/tmp" "$tmp/rootfs/proc" "$tmp/rootfs/sys" "$tmp/rootfs/dev" "$tmp/rootfs/etc"
	cp /bin/busybox "$tmp/rootfs/bin/busybox"
	for l in sh sleep cat; do ln -s busybox "$tmp/rootfs/bin/$l"; done
	tar -C "$tmp/rootfs" -cf "$tmp/rootfs.tar" .
	podman import --change 'CMD ["/bin/sh"]' --change 'ENV PATH=/bin' "$tmp/rootfs.tar" "$IMAGE" >/dev/null
	rm -rf "$tmp/rootfs" "$tmp/rootfs.tar"
fi

# The podman API service Kestrel asks, on a socket of its own. It shares
# the host's podman storage, so the containers 'podman run' starts are its.
sock=$tmp/podman.sock
podman system service --time=0 "unix://$sock" >"$tmp/podman-service.log" 2>&1 &
service=$!
for _ in {1..100}; do
	[[ -S $sock ]] && curl -sf --unix-socket "$sock" http://d/_ping >/dev/null 2>&1 && break
	kill -0 "$service" 2>/dev/null || die "the podman service exited: $(cat "$tmp/podman-service.log")"
	sleep 0.1
done
curl -sf --unix-socket "$sock" http://d/_ping >/dev/null || die "the podman service does not answer on $sock: $(cat "$tmp/podman-service.log")"

cat >"$tmp/rules.yaml" <<EOF
- rule: $RULE
  desc: a program started or a file opened in a container
  condition: evt.type in (execve, execveat, open, openat, openat2) and evt.dir = < and container.id != host
  output: container activity (id=%container.id name=%container.name image=%container.image.repository proc=%proc.name file=%fd.name)
  priority: NOTICE
  tags: [bench]
EOF

HZ=$(getconf CLK_TCK)

# sample RUN T: appends one row to RUN's samples: T, VmRSS (KiB), CPU ticks
# of Kestrel, events handled, events lost, events judged, seconds judging,
# container records in the model, lookups ok, not found, failed, dropped,
# seconds of the lookups answered, podman containers alive (this script's
# and any other's: the model holds them all); and
# prints it as a table row.
sample() {
	local run=$1 t=$2 rss ticks m alive
	rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$agent/status" 2>/dev/null) || return 1
	[[ -n $rss ]] || return 1
	ticks=$(awk '{ print $14 + $15 }' "/proc/$agent/stat" 2>/dev/null) || return 1
	m=$(curl -sf --max-time 5 "$metrics_url") || return 1
	alive=$(podman ps -q 2>/dev/null | wc -l)
	awk -v t="$t" -v rss="$rss" -v ticks="$ticks" -v alive="$alive" '
		/^#/ { next }
		/^kestrel_source_events_total / { ev = $NF }
		/^kestrel_events_dropped_total\{/ { drop += $NF }
		/^kestrel_rule_evaluations_total / { evals = $NF }
		/^kestrel_rule_evaluation_seconds_total / { esec = $NF }
		/^kestrel_state_containers / { ctrs = $NF }
		/^kestrel_container_lookups_total\{/ { split($0, a, "\""); look[a[2]] = $NF }
		/^kestrel_container_lookup_seconds_total / { lsec = $NF }
		END { printf "%s %d %d %.0f %.0f %.0f %.9f %.0f %.0f %.0f %.0f %.0f %.6f %d\n", t, rss, ticks, ev, drop, evals, esec, ctrs,
			look["ok"], look["not_found"], look["error"], look["dropped"], lsec, alive }' <<<"$m" >>"$tmp/samples-$run"
	tail -2 "$tmp/samples-$run" | table | tail -1
}

# table: prints sample rows as table rows; the rates of a row are over the
# time since the row before it.
table() {
	awk -v hz="$HZ" '{
		dt = NR > 1 ? $1 - pt : 0; dev = $4 - pev; dj = $6 - pj
		printf "| %d | %.1f | %s | %s | %s | %d | %d | %d | %d/%d/%d/%d | %s |\n", $1, $2 / 1024,
			(dt > 0 ? sprintf("%.0f", dev / dt) : "-"),
			(dj > 0 && NR > 1 ? sprintf("%.0f", ($7 - pe) / dj * 1e9) : "-"),
			(dev > 0 && NR > 1 ? sprintf("%.2f", ($3 - ptk) / hz / dev * 1e6) : "-"),
			$5, $14, $8, $9, $10, $11, $12,
			($9 > 0 ? sprintf("%.1f", $13 / $9 * 1000) : "-")
		pt = $1; pev = $4; pj = $6; pe = $7; ptk = $3
	}'
}
header='| t (s) | RSS MiB | events/s | rules ns/event | CPU µs/event | events lost | containers alive | records in model | lookups ok/not found/failed/dropped | mean lookup ms |'
rule_line='|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|'

# ctr_loop RUN CLASS JOB: runs containers of CLASS (short or long) one
# after another until the stop file appears; notes each one in RUN's list:
# class, short id (the container prints its hostname, which is its id),
# name, start, end, and whether podman succeeded.
ctr_loop() {
	local run=$1 class=$2 job=$3 n=0 name out t0 st cmd
	if [[ $class == short ]]; then
		cmd='cat /etc/hostname; busybox ls /bin >/dev/null; cat /etc/hostname >/dev/null'
	else
		cmd="cat /etc/hostname; i=0; while [ \$i -lt $LONG_SECS ]; do busybox ls / >/dev/null; cat /etc/hostname >/dev/null; sleep 1; i=\$((i + 1)); done"
	fi
	while [[ ! -e $tmp/stop ]]; do
		n=$((n + 1))
		name=$tag-$run-$class-$job-$n
		t0=$EPOCHREALTIME
		st=ok
		out=$(podman run --rm --network none --name "$name" "$IMAGE" sh -c "$cmd" 2>>"$tmp/podman-$run.err") || st=failed
		echo "$class ${out:0:12} $name $t0 $EPOCHREALTIME $st" >>"$tmp/ctrs-$run"
	done
}

# run_kestrel RUN: one run of the workload under 'kestrel run', with the
# container lookups on or off (RUN).
run_kestrel() {
	local run=$1 enabled=false web_port k now delay gens=() p rc=0
	[[ $run == on ]] && enabled=true
	web_port=$(python3 "$HELPER" freeport)
	metrics_url=http://127.0.0.1:$web_port/metrics
	cat >"$tmp/kestrel-$run.yaml" <<EOF
rules_files: [$tmp/rules.yaml]
watch_config_files: false
json_output: true
buffered_outputs: false
stdout_output:
  enabled: false
file_output:
  enabled: true
  keep_alive: true
  filename: $tmp/alerts-$run.json
webserver:
  enabled: true
  listen_address: 127.0.0.1
  listen_port: $web_port
  prometheus_metrics_enabled: true
metrics:
  enabled: true
  output_rule: false
log_syslog: false
container_engines:
  podman: {enabled: $enabled, sockets: [$sock]}
  docker: {enabled: false}
  containerd: {enabled: false}
  cri: {enabled: false}
EOF
	: >"$tmp/samples-$run"
	: >"$tmp/ctrs-$run"
	rm -f "$tmp/stop"
	"$KESTREL" run -c "$tmp/kestrel-$run.yaml" --ring-size "$RING" >"$tmp/stdout-$run.txt" 2>"$tmp/kestrel-$run.err" &
	agent=$!
	for _ in {1..300}; do
		kill -0 "$agent" 2>/dev/null || die "kestrel run exited: $(cat "$tmp/kestrel-$run.err")"
		[[ $(curl -s "http://127.0.0.1:$web_port/healthz" 2>/dev/null) == *ok* ]] && break
		sleep 0.1
	done
	curl -sf "$metrics_url" >/dev/null || die "no metrics from kestrel at $metrics_url: $(cat "$tmp/kestrel-$run.err")"
	if [[ $run == on ]] && ! grep -q 'asking container runtime' "$tmp/kestrel-$run.err"; then
		die "kestrel does not ask the podman service on $sock: $(cat "$tmp/kestrel-$run.err")"
	fi

	echo >&2
	echo "run with container lookups $run: kestrel run (pid $agent), ${DURATION} s of load, a sample every ${INTERVAL} s" >&2
	echo "$header" >&2
	echo "$rule_line" >&2
	sample "$run" 0 >&2 || die "cannot sample kestrel"

	python3 "$HELPER" load "$LOAD_RATE" "$DURATION" 2>>"$tmp/load.log" &
	gens+=($!)
	if ((CHURN_RATE > 0)); then
		python3 "$HELPER" churn "$CHURN_RATE" "$DURATION" &
		gens+=($!)
	fi
	for ((j = 0; j < SHORT_JOBS; j++)); do
		ctr_loop "$run" short "$j" &
		gens+=($!)
	done
	for ((j = 0; j < LONG_JOBS; j++)); do
		ctr_loop "$run" long "$j" &
		gens+=($!)
	done
	pids=("${gens[@]}")
	local start=$EPOCHREALTIME
	for ((k = 1; k * INTERVAL <= DURATION; k++)); do
		now=$EPOCHREALTIME
		delay=$(awk -v s="$start" -v k="$k" -v i="$INTERVAL" -v n="$now" 'BEGIN { d = s + k * i - n; print (d > 0 ? d : 0) }')
		sleep "$delay"
		kill -0 "$agent" 2>/dev/null || die "kestrel run exited during the load: $(tail -20 "$tmp/kestrel-$run.err")"
		sample "$run" $((k * INTERVAL)) >&2 || die "cannot sample kestrel"
	done
	# The loops finish the container they run.
	touch "$tmp/stop"
	for p in "${gens[@]}"; do wait "$p" || true; done
	pids=()
	remove_containers
	sleep "$SETTLE"
	sample "$run" "$(awk -v s="$start" -v n="$EPOCHREALTIME" 'BEGIN { printf "%.0f", n - s }')" >&2 || die "cannot sample kestrel"
	kill -INT "$agent"
	wait "$agent" || rc=$?
	agent=
	((rc == 0)) || die "kestrel run exited with status $rc: $(tail -20 "$tmp/kestrel-$run.err")"
}

for r in $ORDER; do
	run_kestrel "$r"
done

# alert_counts RUN: the alerts of RUN from containers, by class of
# container (short, long, other: not one of this script's), one line each:
# class, containers started, containers that raised an alert, of which
# named in their first alert, named in some; alerts, of which naming the
# container and its image; the same two of the alerts of the container's
# own programs (not runc setting the container up); and the median time
# from a container's first alert to its first naming it, in ms ("-": none).
alert_counts() {
	python3 - "$tmp/alerts-$1.json" "$tmp/ctrs-$1" <<'EOF'
import json, sys

alerts_path, ctrs_path = sys.argv[1], sys.argv[2]
cls, started = {}, {"short": 0, "long": 0}
for line in open(ctrs_path):
    f = line.split()
    if len(f) == 6 and f[5] == "ok" and len(f[1]) == 12:
        cls[f[1]] = f[0]
        started[f[0]] += 1
unknown = (None, "", "<NA>", "null")
per = {}
for line in open(alerts_path):
    if not line.startswith("{"):
        continue
    of = json.loads(line).get("output_fields", {})
    cid = of.get("container.id")
    if cid in unknown or cid == "host":
        continue
    named = of.get("container.name") not in unknown and of.get("container.image.repository") not in unknown
    prog = not str(of.get("proc.name", "")).startswith("runc")
    t = of.get("evt.time", 0) / 1e6
    c = per.setdefault(cid, {"n": 0, "named": 0, "prog": 0, "prog_named": 0, "first": None, "t0": t, "tn": None})
    c["n"] += 1
    c["named"] += named
    c["prog"] += prog
    c["prog_named"] += prog and named
    if c["first"] is None:
        c["first"] = named
    if named and c["tn"] is None:
        c["tn"] = t
for k in ("short", "long", "other"):
    cs = [c for cid, c in per.items() if cls.get(cid, "other") == k]
    waits = sorted(c["tn"] - c["t0"] for c in cs if c["tn"] is not None)
    med = "%.0f" % waits[len(waits) // 2] if waits else "-"
    print(k, started.get(k, 0), len(cs), sum(c["first"] for c in cs), sum(c["named"] > 0 for c in cs),
          sum(c["n"] for c in cs), sum(c["named"] for c in cs), sum(c["prog"] for c in cs), sum(c["prog_named"] for c in cs), med)
EOF
}

stamp=$(date +%Y%m%d-%H%M%S)
report=$OUT/containers-$stamp.txt
mkdir -p "$RAW"
rm -f "$RAW"/*
for r in $ORDER; do
	cp "$tmp/samples-$r" "$tmp/ctrs-$r" "$tmp/kestrel-$r.err" "$tmp/kestrel-$r.yaml" "$RAW/"
	gzip -c "$tmp/alerts-$r.json" >"$RAW/alerts-$r.json.gz"
	alert_counts "$r" >"$RAW/alert-counts-$r"
done
cp "$tmp/rules.yaml" "$RAW/"

# figures RUN: one line of the figures of RUN for the summary, from its
# samples: the first row is before the load, the one before the last at
# its end, the last SETTLE seconds after it.
figures() {
	awk -v hz="$HZ" -v d="$DURATION" '
		{ t[NR] = $1; rss[NR] = $2 / 1024; row[NR] = $0 }
		NR == 1 { t0 = $1; tk0 = $3; ev0 = $4; j0 = $6; e0 = $7 }
		$2 / 1024 > max { max = $2 / 1024 }
		NR > 1 && $6 > pj { r[++nr] = ($7 - pe) / ($6 - pj) * 1e9 }
		{ pj = $6; pe = $7 }
		END {
			# The median of the intervals: the rules time is sampled, and
			# one preempted sample moves an interval a lot.
			for (i = 2; i <= nr; i++)
				for (j = i; j > 1 && r[j - 1] > r[j]; j--) { x = r[j]; r[j] = r[j - 1]; r[j - 1] = x }
			med = nr ? (nr % 2 ? r[(nr + 1) / 2] : (r[nr / 2] + r[nr / 2 + 1]) / 2) : 0
			split(row[NR - 1], e)
			t1 = e[1]; tk1 = e[3]; ev1 = e[4]; j1 = e[6]; e1 = e[7]
			mid = 1
			for (i = 1; i <= NR; i++) if (t[i] <= d / 2) mid = i
			split(row[NR], l)
			printf "%.0f %.0f %.2f %d %.1f %.1f %.1f %.1f %d %d %d %d %d %d %.1f %.0f\n",
				(t1 > t0 ? (ev1 - ev0) / (t1 - t0) : 0), (j1 > j0 ? (e1 - e0) / (j1 - j0) * 1e9 : 0),
				(ev1 > ev0 ? (tk1 - tk0) / hz / (ev1 - ev0) * 1e6 : 0), l[5],
				rss[1], rss[mid], rss[NR], max, l[8], l[14], l[9], l[10], l[11], l[12], (l[9] > 0 ? l[13] / l[9] * 1000 : 0), med
		}' "$tmp/samples-$1"
}

declare -A F C
for r in $ORDER; do
	F[$r]=$(figures "$r")
	C[$r]=$(cat "$RAW/alert-counts-$r")
done
# col RUN N: field N of RUN's figures.
col() { awk -v n="$2" '{ print $n }' <<<"${F[$1]}"; }
# share RUN CLASS A B: "named/alerts (P%)" from fields A (alerts) and B
# (named) of RUN's counts for CLASS ("ours": short and long).
share() {
	awk -v k="$2" -v a="$3" -v b="$4" '$1 == k || k == "ours" && $1 != "other" { n += $a; m += $b }
		END { printf "%d of %d (%s)", m, n, (n > 0 ? sprintf("%.1f%%", m / n * 100) : "-") }' <<<"${C[$1]}"
}
# first RUN CLASS: the containers of CLASS started, those with an alert,
# how many were named in their first alert, in some, and the median wait.
first() {
	awk -v k="$2" '$1 == k { printf "%d started, %d raised alerts: named in the first %d, in some %d; median wait %s ms", $2, $3, $4, $5, $10 }' <<<"${C[$1]}"
}
# started RUN: short-lived / longer-lived containers started.
started() {
	awk '$1 == "short" { s = $2 } $1 == "long" { l = $2 } END { print s + 0 " / " l + 0 }' <<<"${C[$1]}"
}

{
	echo "Container churn (\`bench/containers.sh\`): kestrel $(git describe --always --dirty 2>/dev/null || echo '(no git)'), $(nproc) CPUs, kernel $(uname -r), $(podman --version)."
	echo "Each run: ${DURATION} s of load; $SHORT_JOBS loops of short-lived containers (podman run --rm, one command, well under 1 s),"
	echo "$LONG_JOBS of containers living ${LONG_SECS} s (a command and a file open every second), network none, image $IMAGE;"
	echo "on the host $LOAD_RATE files of /etc opened per second and $CHURN_RATE processes started per second."
	echo "One rule, on execve/open in containers, alerts in JSON to a file; rings of $RING MiB. Runs in this order: $ORDER."
	echo "With lookups on, Kestrel asks only a podman API service of this run; with lookups off, no runtime."
	for r in $ORDER; do
		echo
		echo "Samples, container lookups $r (t=0 before the load, the last row ${SETTLE} s after it; rates since the row before):"
		echo
		echo "$header"
		echo "$rule_line"
		table <"$tmp/samples-$r"
	done
	echo
	echo "| | lookups on | lookups off |"
	echo "|---|---:|---:|"
	line() {
		local label=$1 fmt=$2 on=- off=-
		shift 2
		[[ -z ${F[on]:-} ]] || on=$(printf "$fmt" $(for n in "$@"; do col on "$n"; done))
		[[ -z ${F[off]:-} ]] || off=$(printf "$fmt" $(for n in "$@"; do col off "$n"; done))
		echo "| $label | $on | $off |"
	}
	line "events handled per second (during the load)" "%s" 1
	line "rules: ns per event judged (whole load; median of the intervals)" "%s; %s" 2 16
	line "Kestrel CPU: µs per event handled" "%s" 3
	line "events lost (probe and queue)" "%s" 4
	line "RSS MiB: start / middle / end (largest)" "%s / %s / %s (%s)" 5 6 7 8
	line "container records in the model at the end / podman containers alive" "%s / %s" 9 10
	line "lookups ok / not found / failed / dropped" "%s / %s / %s / %s" 11 12 13 14
	line "mean lookup latency, ms" "%s" 15
	for r in on off; do
		[[ -n ${C[$r]:-} ]] || C[$r]="short 0 0 0 0 0 0 0 0 -"
	done
	echo "| containers started: short-lived / longer-lived | $(started on) | $(started off) |"
	echo "| alerts from containers naming the container and its image | $(share on ours 6 7) | $(share off ours 6 7) |"
	echo "| - of short-lived containers | $(share on short 6 7) | $(share off short 6 7) |"
	echo "| - of longer-lived containers | $(share on long 6 7) | $(share off long 6 7) |"
	echo "| - of the containers' own programs (not runc setting up) | $(share on ours 8 9) | $(share off ours 8 9) |"
	echo "| - of the own programs of short-lived containers | $(share on short 8 9) | $(share off short 8 9) |"
	echo "| - of the own programs of longer-lived containers | $(share on long 8 9) | $(share off long 8 9) |"
	echo "| short-lived containers | $(first on short) | $(first off short) |"
	echo "| longer-lived containers | $(first on long) | $(first off long) |"
	echo "| other containers of the host (not this script's): containers / alerts naming them | $(awk '$1 == "other" { printf "%d / %d of %d", $3, $7, $6 }' <<<"${C[on]}") | $(awk '$1 == "other" { printf "%d / %d of %d", $3, $7, $6 }' <<<"${C[off]}") |"
	echo
	for r in $ORDER; do
		grep -h '^kestrel: containers:' "$tmp/kestrel-$r.err" | sed "s/^/lookups $r: /" || true
		grep -hi 'lost\|drop' "$tmp/kestrel-$r.err" | grep -v '^kestrel: \(output\|containers:\)' | sed "s/^/lookups $r: /" || true
	done
	for r in $ORDER; do
		f=$(grep -c ' failed$' "$tmp/ctrs-$r" || true)
		((f == 0)) || echo "lookups $r: $f podman runs failed; first errors: $(head -3 "$tmp/podman-$r.err" | tr '\n' ' ')"
	done
	echo
	echo "rules ns/event: kestrel_rule_evaluation_seconds_total over kestrel_rule_evaluations_total, from t=0 to the end of the load."
	echo "CPU µs/event: Kestrel's user+system time over the events it handled (model, inbox and rules), same span."
	echo "An alert names its container when container.name and container.image.repository are known (not <NA>)."
	echo "Median wait: from a container's first alert to the first that names it (event times)."
	echo "The rules' time is measured on one event in 64 and scaled, so it moves from sample to sample."
	echo "Without a runtime, records of removed containers go at the second sweep with no thread in them (sweeps: every minute)."
	echo "The alerts of a container start with runc setting it up (proc.name runc*), before its own program runs."
} >"$report"

echo
cat "$report"
cp "$report" "$RAW/report.txt"
echo "bench/containers.sh: report in $report" >&2
