//go:build linux && amd64

package ebpf_test

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kestrel-sec/kestrel/driver/ebpf"
	"github.com/kestrel-sec/kestrel/driver/ebpf/ebpftest"
	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/internal/testenv"
)

// straced are the security-relevant syscalls the strace cross-check
// compares, by strace's name. clone is the parent's side (the child's
// return, which strace does not show, is left out); clone3 is not
// listed, as the workload's fork and threads use clone.
var straced = []string{
	"openat", "rename", "fchmodat", "memfd_create", "socket", "bind", "listen", "connect", "accept4",
	"setuid", "ptrace", "kill", "execve", "mkdir", "mkdirat", "rmdir", "symlink", "symlinkat", "link",
	"linkat", "chown", "lchown", "fchownat", "fchown", "mount", "umount2", "chroot", "delete_module",
	"bpf", "userfaultfd", "io_uring_setup", "mmap", "mprotect", "munmap", "fcntl", "prctl", "unshare",
	"pipe2", "read", "write", "pread64", "pwrite64", "sendto", "recvfrom", "sendmsg", "recvmsg",
	"pipe", "capset", "setns", "init_module", "finit_module", "clone",
}

// eventName is the Kestrel event of a syscall strace names.
func eventName(sc string) string {
	switch sc {
	case "pread64":
		return "pread"
	case "pwrite64":
		return "pwrite"
	}
	return sc
}

// pathArgs are the syscalls whose quoted strace arguments (paths, names)
// are compared; execve only by its first (not argv), mount by its first
// three (not the data), prctl for PR_SET_NAME.
var pathArgs = map[string]bool{
	"openat": true, "rename": true, "fchmodat": true, "memfd_create": true, "execve": true, "mkdir": true,
	"mkdirat": true, "rmdir": true, "symlink": true, "symlinkat": true, "link": true, "linkat": true,
	"chown": true, "lchown": true, "fchownat": true, "mount": true, "umount2": true, "chroot": true,
	"delete_module": true, "prctl": true, "init_module": true, "finit_module": true,
}

// call is one completed syscall of the strace log.
type call struct {
	tid  int64
	name string
	args string
	ret  int64
	line string
}

var (
	straceLine = regexp.MustCompile(`^(\d+) +(\w+)\((.*)\) += (-?\w+|\?)(?: (E[A-Z0-9_]+))?`)
	quoted     = regexp.MustCompile(`"((?:[^"\\]|\\.)*)"`)
	inetAddr   = regexp.MustCompile(`sin_port=htons\((\d+)\), sin_addr=inet_addr\("([0-9.]+)"\)`)
	inet6Addr  = regexp.MustCompile(`sin6_port=htons\((\d+)\), .*inet_pton\(AF_INET6, "([0-9a-f:.]+)", &sin6_addr\)`)
	unixAddr   = regexp.MustCompile(`sa_family=AF_UNIX, sun_path="((?:[^"\\]|\\.)*)"`)
)

// parseStrace reads strace -f output, joining unfinished and resumed
// halves of a call.
func parseStrace(t *testing.T, text string, errnos map[string]int64) []call {
	t.Helper()
	pending := map[string]string{}
	var calls []call
	for _, l := range strings.Split(text, "\n") {
		pid, rest, _ := strings.Cut(l, " ")
		rest = strings.TrimLeft(rest, " ")
		if strings.HasSuffix(rest, "<unfinished ...>") {
			pending[pid] = strings.TrimSuffix(rest, "<unfinished ...>")
			continue
		}
		if strings.HasPrefix(rest, "<... ") {
			_, after, ok := strings.Cut(rest, " resumed>")
			if !ok {
				continue
			}
			rest = pending[pid] + after
			delete(pending, pid)
		}
		m := straceLine.FindStringSubmatch(pid + " " + rest)
		if m == nil {
			continue
		}
		c := call{name: m[2], args: m[3], line: l}
		c.tid, _ = strconv.ParseInt(m[1], 10, 64)
		if m[5] != "" {
			n, ok := errnos[m[5]]
			if !ok {
				t.Fatalf("strace error %s has no number: %s", m[5], l)
			}
			c.ret = -n
		} else if m[4] == "?" {
			continue // no result: the thread went away
		} else if v, err := strconv.ParseInt(m[4], 0, 64); err == nil {
			c.ret = v
		} else if u, err := strconv.ParseUint(m[4], 0, 64); err == nil {
			c.ret = int64(u)
		} else {
			t.Fatalf("strace result %q: %v", m[4], err)
		}
		calls = append(calls, c)
	}
	return calls
}

// errnoNumbers maps errno names to numbers, with the kernel's restart
// codes that strace prints as "= ? ERESTARTSYS" when a signal interrupts
// a call that is then restarted (the probe records that first exit too).
func errnoNumbers() map[string]int64 {
	m := map[string]int64{"ERESTARTSYS": 512, "ERESTARTNOINTR": 513, "ERESTARTNOHAND": 514, "ERESTART_RESTARTBLOCK": 516}
	for e := syscall.Errno(1); e < 200; e++ {
		if n := unix.ErrnoName(e); n != "" {
			m[n] = int64(e)
		}
	}
	return m
}

// TestProbeAgainstStrace runs the workload under strace -f while the probe
// records, and compares every call strace saw with Kestrel's event of the
// same thread: the syscall, its return value, and its paths, names and
// addresses.
func TestProbeAgainstStrace(t *testing.T) {
	ebpftest.Live(t)
	strace := testenv.Tool(t, "strace")
	wl := ebpftest.Prepare(t, "TestProbeWorkloadHelper")
	log := filepath.Join(t.TempDir(), "strace.log")
	wl.Wrap(strace, "-f", "-qq", "-s", "4096", "-e", "signal=none", "-e", "trace="+strings.Join(straced, ","), "-o", log)
	names := make([]string, len(straced))
	for i, n := range straced {
		names[i] = n
	}
	start := time.Now()
	recs, info, st := captureWith(t, ebpf.Options{Syscalls: names}, wl)
	text, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	calls := parseStrace(t, string(text), errnoNumbers())
	if len(calls) < 100 {
		t.Fatalf("only %d calls in the strace log:\n%s", len(calls), text)
	}
	got := eventsByThread(t, recs)
	compared := 0
	for _, c := range calls {
		key := fmt.Sprintf("%d/%s", c.tid, eventName(c.name))
		if c.name == "execve" && c.ret < 0 {
			continue // failed PATH lookups of the exec wrapper
		}
		q := got[key]
		if len(q) == 0 && unhooked(c.name) {
			continue
		}
		if len(q) == 0 {
			t.Errorf("no Kestrel event for strace's %s", c.line)
			continue
		}
		d := q[0]
		got[key] = q[1:]
		compared++
		if err := compareCall(c, d); err != nil {
			t.Errorf("%v\n  strace:  %s\n  kestrel: %s %v", err, c.line, d.name, d.args)
		}
	}
	t.Logf("%d calls compared (workload %d) in %v; stats %+v", compared, info.PID, time.Since(start), st)
}

// eventsByThread decodes the events into per-thread, per-name queues in
// the order they came; the child's clone events are left out.
func eventsByThread(t *testing.T, recs []record) map[string][]decoded {
	var ev event.Event
	out := map[string][]decoded{}
	for _, r := range recs {
		if err := ev.Reset(r.raw); err != nil {
			t.Fatal(err)
		}
		d := decoded{name: ev.Name(), tid: ev.TID(), args: map[string]string{}}
		for i, pi := range ev.Info().Params {
			d.args[pi.Name] = paramText(ev.Param(i), pi)
		}
		if strings.HasPrefix(d.name, "clone") && d.args["res"] == "0" {
			continue // the child's side, which strace does not show
		}
		key := fmt.Sprintf("%d/%s", d.tid, d.name)
		out[key] = append(out[key], d)
	}
	return out
}

// compareCall compares a strace call with Kestrel's event.
func compareCall(c call, d decoded) error {
	res, ok := d.args["res"]
	if !ok {
		res = d.args["fd"] // bpf
	}
	if c.name == "execve" {
		res = "0"
	}
	if res != strconv.FormatInt(c.ret, 10) {
		return fmt.Errorf("%s: return value %s, strace says %d", c.name, res, c.ret)
	}
	strs := map[string]bool{}
	for _, v := range d.args {
		strs[v] = true
	}
	if pathArgs[c.name] && (c.name != "prctl" || strings.HasPrefix(c.args, "PR_SET_NAME,")) {
		for i, m := range quoted.FindAllStringSubmatch(c.args, -1) {
			if c.name == "execve" && i > 0 || c.name == "mount" && i > 2 { // argv; mount data
				break
			}
			if s := unquote(m[1]); !strs[s] {
				return fmt.Errorf("%s: no parameter is %q", c.name, s)
			}
		}
	}
	return compareAddr(c, d)
}

// straceAddr is the address of a strace call's sockaddr as paramText
// renders it: "ip:port", "[ip6]:port" or the unix path.
func straceAddr(args string) (string, bool) {
	if m := inetAddr.FindStringSubmatch(args); m != nil {
		return m[2] + ":" + m[1], true
	}
	if m := inet6Addr.FindStringSubmatch(args); m != nil {
		ip, err := netip.ParseAddr(m[2])
		port, err2 := strconv.ParseUint(m[1], 10, 16)
		if err != nil || err2 != nil {
			return "", false
		}
		return netip.AddrPortFrom(ip, uint16(port)).String(), true
	}
	if m := unixAddr.FindStringSubmatch(args); m != nil {
		return unquote(m[1]), true
	}
	return "", false
}

// compareAddr compares the address strace shows with the event's: the
// bound or connected address, or the remote end of the tuple.
func compareAddr(c call, d decoded) error {
	addr, ok := straceAddr(c.args)
	if !ok {
		return nil
	}
	var have string
	switch c.name {
	case "bind", "connect":
		have = d.args["addr"]
	case "sendto", "sendmsg":
		_, have, _ = strings.Cut(d.args["tuple"], "->")
	case "recvfrom", "recvmsg", "accept4":
		have, _, _ = strings.Cut(d.args["tuple"], "->")
	default:
		return nil
	}
	if have != addr {
		return fmt.Errorf("%s: address %q, strace says %s", c.name, have, addr)
	}
	return nil
}

func unquote(s string) string {
	if u, err := strconv.Unquote(`"` + s + `"`); err == nil {
		return u
	}
	return s
}

// TestParseStrace checks the log parser on the forms strace prints:
// errors, restarted calls, split calls and calls with no result.
func TestParseStrace(t *testing.T) {
	log := `5948  connect(9, {sa_family=AF_INET, sin_port=htons(59099), sin_addr=inet_addr("127.0.0.1")}, 16) = ? ERESTARTSYS (To be restarted if SA_RESTART is set)
5948  connect(9, {sa_family=AF_INET, sin_port=htons(59099), sin_addr=inet_addr("127.0.0.1")}, 16) = 0
5949  openat(AT_FDCWD, "/nope", O_RDONLY) = -1 ENOENT (No such file or directory)
5950  read(3,  <unfinished ...>
5949  mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000
5950  <... read resumed>"ab", 2) = 2
5951  execve("/bin/true", ["true"], 0x0 /* 0 vars */) = ?
`
	got := parseStrace(t, log, errnoNumbers())
	want := []struct {
		tid  int64
		name string
		ret  int64
	}{{5948, "connect", -512}, {5948, "connect", 0}, {5949, "openat", -2}, {5949, "mmap", 0x7f0000000000}, {5950, "read", 2}}
	if len(got) != len(want) {
		t.Fatalf("got %d calls, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		if g := got[i]; g.tid != w.tid || g.name != w.name || g.ret != w.ret {
			t.Errorf("call %d: got %d %s = %d, want %d %s = %d", i, g.tid, g.name, g.ret, w.tid, w.name, w.ret)
		}
	}
}
