#!/usr/bin/env python3
"""Helpers of bench/soak.sh: the load, the alert receivers and the counts.

    soak.py freeport                      print a free TCP port on 127.0.0.1
    soak.py syslog SOCKET OUT             receive syslog datagrams on a unix
                                          socket, one line each in OUT
    soak.py http PORTFILE OUT             receive POSTs on 127.0.0.1 (port
                                          written to PORTFILE), one body per line
    soak.py load RATE SECONDS             open, read 4 KiB and close files of
                                          /etc, RATE files per second
    soak.py churn RATE SECONDS            start /bin/true RATE times per second
    soak.py markers DIR RATE SECONDS OUT  create, open and remove DIR/marker-N,
                                          RATE per second; the number made goes
                                          to OUT
    soak.py count TRIGGERED FILE...       per file: records, marker records,
                                          distinct markers, duplicates, missing
    soak.py stalls CPU OUT                on CPU, sleep 10 ms at a time and
                                          note how late each wake-up is; at
                                          SIGTERM, write the largest and those
                                          over 100 ms (wall clock) to OUT

Generators stop after SECONDS, or at SIGTERM; receivers at SIGTERM or SIGINT.
Every received record is written and flushed at once, so the files hold what
arrived even if the receiver is killed.
"""

import http.server
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

stop = threading.Event()


def on_signal(*_):
    stop.set()


def paced(rate, seconds, step):
    """Calls step(i) rate times per second for seconds (or until stop), in
    batches of at most 10 ms of calls; returns the number of calls."""
    start = time.monotonic()
    end = start + seconds
    batch = max(1, int(rate / 100))
    n = 0
    while not stop.is_set():
        now = time.monotonic()
        if now >= end:
            break
        due = min(int((now - start) * rate) + 1, n + batch)
        while n < due:
            step(n)
            n += 1
        delay = min(start + n / rate, end) - time.monotonic()
        if delay > 0:
            time.sleep(max(delay, 0.01) if rate > 100 else delay)
    return n


def cmd_freeport():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
    s.close()


def cmd_syslog(path, out):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind(path)
    os.chmod(path, 0o666)
    s.settimeout(0.2)
    with open(out, "ab", buffering=0) as f:
        while not stop.is_set():
            try:
                d = s.recv(1 << 20)
            except socket.timeout:
                continue
            f.write(d.rstrip(b"\n").replace(b"\n", b" ") + b"\n")
        # what is still queued on the socket
        s.setblocking(False)
        while True:
            try:
                d = s.recv(1 << 20)
            except BlockingIOError:
                break
            f.write(d.rstrip(b"\n").replace(b"\n", b" ") + b"\n")
    s.close()
    os.unlink(path)


def cmd_http(portfile, out):
    f = open(out, "ab", buffering=0)
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                body = b""
                while True:
                    size = int(self.rfile.readline().split(b";")[0], 16)
                    if size == 0:
                        self.rfile.readline()
                        break
                    body += self.rfile.read(size)
                    self.rfile.readline()
            else:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with lock:
                f.write(body.rstrip(b"\n").replace(b"\n", b" ") + b"\n")
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    with open(portfile + ".tmp", "w") as p:
        p.write(f"{srv.server_address[1]}\n")
    os.rename(portfile + ".tmp", portfile)
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.2})
    t.start()
    stop.wait()
    srv.shutdown()
    t.join()
    with lock:
        f.close()


def cmd_load(rate, seconds):
    files = []
    for root, _, names in os.walk("/etc"):
        for name in sorted(names):
            p = os.path.join(root, name)
            try:
                if os.path.isfile(p) and not os.path.islink(p) and os.access(p, os.R_OK):
                    files.append(p)
            except OSError:
                pass
            if len(files) >= 256:
                break
        if len(files) >= 256:
            break
    if not files:
        files = ["/dev/null"]
    nfiles = len(files)

    def step(i):
        try:
            fd = os.open(files[i % nfiles], os.O_RDONLY)
        except OSError:
            return
        try:
            os.read(fd, 4096)
        finally:
            os.close(fd)

    t = time.monotonic()
    n = paced(rate, seconds, step)
    print(f"load: {n} files read, {n / (time.monotonic() - t):.0f}/s", file=sys.stderr)


def cmd_churn(rate, seconds):
    def step(_):
        subprocess.run(["/bin/true"], close_fds=True)

    paced(rate, seconds, step)


def cmd_markers(d, rate, seconds, out):
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    made = [0]

    def step(i):
        p = f"{d}/marker-{i}"
        fd = os.open(p, flags, 0o600)  # the open the rule matches
        made[0] += 1
        os.close(fd)
        os.unlink(p)

    paced(rate, seconds, step)
    with open(out, "w") as f:
        f.write(f"{made[0]}\n")


def cmd_stalls(cpu, out):
    os.sched_setaffinity(0, {cpu})
    worst, stalls = 0.0, []
    while not stop.is_set():
        t = time.monotonic()
        time.sleep(0.01)
        late = time.monotonic() - t - 0.01
        if late > worst:
            worst = late
        if late > 0.1:
            stalls.append((time.time() - late, late))
    with open(out, "w") as f:
        f.write(f"cpu {cpu} {worst * 1000:.0f}\n")
        for at, late in stalls:
            f.write(f"stall {cpu} {at:.3f} {late * 1000:.0f}\n")


def cmd_count(triggered, files):
    seq = re.compile(rb"/marker-(\d+)")
    for path in files:
        records = markers = dups = beyond = 0
        seen = set()
        try:
            with open(path, "rb") as f:
                for line in f:
                    if not line.strip():
                        continue
                    records += 1
                    m = seq.search(line)
                    if not m:
                        continue
                    markers += 1
                    n = int(m.group(1))
                    if n in seen:
                        dups += 1
                    elif n >= triggered:
                        beyond += 1
                    seen.add(n)
        except FileNotFoundError:
            pass
        distinct = len(seen) - beyond
        print(path, records, markers, distinct, dups, triggered - distinct)


def main():
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "freeport":
        cmd_freeport()
    elif cmd == "syslog":
        cmd_syslog(args[0], args[1])
    elif cmd == "http":
        cmd_http(args[0], args[1])
    elif cmd == "load":
        cmd_load(float(args[0]), float(args[1]))
    elif cmd == "churn":
        cmd_churn(float(args[0]), float(args[1]))
    elif cmd == "markers":
        cmd_markers(args[0], float(args[1]), float(args[2]), args[3])
    elif cmd == "stalls":
        cmd_stalls(int(args[0]), args[1])
    elif cmd == "count":
        cmd_count(int(args[0]), args[1:])
    else:
        sys.exit(f"soak.py: unknown command {cmd}")


if __name__ == "__main__":
    main()
