package output

import (
	"bufio"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/alert"
	"github.com/kestrel-sec/kestrel/rules"
)

// rfc5424 matches the messages Kestrel sends: PRI, version, timestamp,
// hostname, app name, process id, no message id, no structured data, and
// the message.
var rfc5424 = regexp.MustCompile(`^<(\d{1,3})>1 (\S+) (\S+) (\S+) (\d+) - - (.*)$`)

type syslogMsg struct {
	pri            int
	time           time.Time
	host, app, msg string
	pid            int
}

func parseSyslog(t *testing.T, b []byte) syslogMsg {
	t.Helper()
	m := rfc5424.FindSubmatch(b)
	if m == nil {
		t.Fatalf("not an RFC 5424 message: %q", b)
	}
	var s syslogMsg
	s.pri, _ = strconv.Atoi(string(m[1]))
	ts, err := time.Parse(time.RFC3339Nano, string(m[2]))
	if err != nil {
		t.Fatalf("timestamp %q: %v", m[2], err)
	}
	s.time, s.host, s.app, s.msg = ts, string(m[3]), string(m[4]), string(m[6])
	s.pid, _ = strconv.Atoi(string(m[5]))
	return s
}

func listenUnixgram(t *testing.T, path string) *net.UnixConn {
	t.Helper()
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func readDatagram(t *testing.T, c *net.UnixConn) []byte {
	t.Helper()
	buf := make([]byte, 64<<10)
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	n, err := c.Read(buf)
	if err != nil {
		t.Fatalf("no syslog message: %v", err)
	}
	return buf[:n]
}

// TestSyslogDatagram listens on a unix datagram socket as syslog does,
// and checks each message's PRI (facility and priority), header and text.
func TestSyslogDatagram(t *testing.T) {
	checkGoroutines(t)
	path := filepath.Join(t.TempDir(), "log")
	c := listenUnixgram(t, path)
	for _, fac := range []Facility{0, FacilityLocal0} {
		f := newFanout(t, Options{Syslog: SyslogOptions{Enabled: true, Path: path, Facility: fac}})
		want := fac
		if want == 0 {
			want = FacilityUser
		}
		for _, p := range []rules.Priority{rules.PriorityEmergency, rules.PriorityCritical, rules.PriorityWarning,
			rules.PriorityInformational, rules.PriorityDebug} {
			a := testAlert(int(p), p)
			f.Publish(a)
			m := parseSyslog(t, readDatagram(t, c))
			if m.pri != int(want)*8+int(p) {
				t.Errorf("facility %d, %v: PRI %d, want %d", want, p, m.pri, int(want)*8+int(p))
			}
			if !m.time.Equal(a.Time.Truncate(time.Microsecond)) || m.host != "node-1" || m.app != "kestrel" ||
				m.pid != os.Getpid() || m.msg != a.Output {
				t.Errorf("message %+v for %+v", m, a)
			}
		}
		if err := closeFanout(t, f, time.Second); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSyslogJSONAndRestart checks JSON messages, and that the output
// reconnects when the syslog daemon comes back on a new socket.
func TestSyslogJSONAndRestart(t *testing.T) {
	checkGoroutines(t)
	path := filepath.Join(t.TempDir(), "log")
	c := listenUnixgram(t, path)
	f := newFanout(t, Options{Format: Format{JSON: true}, Syslog: SyslogOptions{Enabled: true, Path: path}})
	a := testAlert(1, rules.PriorityAlert)
	f.Publish(a)
	if m := parseSyslog(t, readDatagram(t, c)); m.msg != string(a.AppendJSON(nil, alert.JSONOptions{})) || m.pri != 9 {
		t.Errorf("JSON message %+v", m)
	}
	c.Close()
	os.Remove(path)
	c = listenUnixgram(t, path)
	f.Publish(a)
	if m := parseSyslog(t, readDatagram(t, c)); m.pri != 9 {
		t.Errorf("after restart: %+v", m)
	}
	waitFor(t, time.Second, "stats", func() bool { s := statsOf(t, f, "syslog"); return s.Sent == 2 && s.Failed == 0 })
}

// TestSyslogStream checks that a stream socket gets newline-ended
// messages.
func TestSyslogStream(t *testing.T) {
	checkGoroutines(t)
	path := filepath.Join(t.TempDir(), "log")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	f := newFanout(t, Options{Syslog: SyslogOptions{Enabled: true, Path: path}})
	f.Publish(testAlert(1, rules.PriorityError))
	f.Publish(testAlert(2, rules.PriorityNotice))
	c, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	br := bufio.NewReader(c)
	for _, pri := range []int{11, 13} {
		line, err := br.ReadBytes('\n')
		if err != nil {
			t.Fatal(err)
		}
		if m := parseSyslog(t, line[:len(line)-1]); m.pri != pri {
			t.Errorf("PRI %d, want %d", m.pri, pri)
		}
	}
}
