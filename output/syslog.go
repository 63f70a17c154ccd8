package output

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/kestrel-sec/kestrel/alert"
)

// DefaultSyslogPath is the local syslog socket.
const DefaultSyslogPath = "/dev/log"

// SyslogOptions configure the syslog output (syslog_output). Messages are
// RFC 5424 lines sent to the local syslog socket.
type SyslogOptions struct {
	Enabled bool // syslog_output.enabled
	// Path is the local syslog socket (Kestrel's own key); "" is
	// [DefaultSyslogPath].
	Path string
	// Facility is the messages' facility (Kestrel's own key); 0 is
	// [FacilityUser], which is what Falco's messages carry.
	Facility Facility
	// AppName is the RFC 5424 APP-NAME; "" is "kestrel".
	AppName string
}

// Facility is a syslog facility.
type Facility uint8

// The facilities a program may log with.
const (
	FacilityUser     Facility = 1
	FacilityMail     Facility = 2
	FacilityDaemon   Facility = 3
	FacilityAuth     Facility = 4
	FacilitySyslog   Facility = 5
	FacilityLPR      Facility = 6
	FacilityNews     Facility = 7
	FacilityUUCP     Facility = 8
	FacilityCron     Facility = 9
	FacilityAuthPriv Facility = 10
	FacilityFTP      Facility = 11
	FacilityLocal0   Facility = 16
	FacilityLocal7   Facility = 23
)

var facilityNames = map[string]Facility{
	"user": FacilityUser, "mail": FacilityMail, "daemon": FacilityDaemon, "auth": FacilityAuth,
	"syslog": FacilitySyslog, "lpr": FacilityLPR, "news": FacilityNews, "uucp": FacilityUUCP,
	"cron": FacilityCron, "authpriv": FacilityAuthPriv, "ftp": FacilityFTP,
	"local0": 16, "local1": 17, "local2": 18, "local3": 19, "local4": 20, "local5": 21, "local6": 22, "local7": 23,
}

// ParseFacility parses a facility name as syslog.conf spells it: "user",
// "daemon", "local0" … "local7".
func ParseFacility(s string) (Facility, error) {
	f, ok := facilityNames[s]
	if !ok {
		return 0, fmt.Errorf("syslog facility %q: unknown", s)
	}
	return f, nil
}

// syslogSink sends one RFC 5424 message per alert to a local socket,
// datagram or stream.
type syslogSink struct {
	path     string
	facility Facility
	app      string
	pid      string
	format   Format
	conn     net.Conn
	stream   bool // the socket is a stream: messages end with a newline
}

func newSyslog(o SyslogOptions, f Format) (*syslogSink, error) {
	s := &syslogSink{path: o.Path, facility: o.Facility, app: o.AppName, format: f,
		pid: strconv.Itoa(os.Getpid())}
	if s.path == "" {
		s.path = DefaultSyslogPath
	}
	if s.facility == 0 {
		s.facility = FacilityUser
	}
	if s.facility > FacilityLocal7 {
		return nil, fmt.Errorf("syslog facility %d: out of range", s.facility)
	}
	if s.app == "" {
		s.app = "kestrel"
	}
	return s, nil
}

func (s *syslogSink) Name() string { return "syslog" }

// Render appends an RFC 5424 message: PRI from the facility and the
// alert's priority (Falco's priorities are syslog's severities), the
// alert's time in UTC with microseconds, its hostname, the application
// and process id, no message id nor structured data, and the alert's line.
func (s *syslogSink) Render(dst []byte, a *alert.Alert) []byte {
	dst = append(dst, '<')
	dst = strconv.AppendUint(dst, uint64(s.facility)*8+uint64(severity(a)), 10)
	dst = append(dst, ">1 "...)
	if a.Time.IsZero() {
		dst = append(dst, '-')
	} else {
		dst = a.Time.UTC().AppendFormat(dst, "2006-01-02T15:04:05.000000Z")
	}
	dst = append(dst, ' ')
	dst = appendHeaderField(dst, a.Hostname, 255)
	dst = append(dst, ' ')
	dst = appendHeaderField(dst, s.app, 48)
	dst = append(dst, ' ')
	dst = appendHeaderField(dst, s.pid, 128)
	dst = append(dst, " - - "...)
	return s.format.appendLine(dst, a)
}

// severity is the syslog severity of a's priority: Emergency is 0, Debug
// is 7, as in Falco.
func severity(a *alert.Alert) int {
	return min(max(int(a.Priority), 0), 7)
}

// appendHeaderField appends v as an RFC 5424 header field: printable
// US-ASCII without spaces, at most limit bytes, "-" when empty.
func appendHeaderField(dst []byte, v string, limit int) []byte {
	if v == "" {
		return append(dst, '-')
	}
	for i := 0; i < len(v) && i < limit; i++ {
		c := v[i]
		if c < 33 || c > 126 {
			c = '_'
		}
		dst = append(dst, c)
	}
	return dst
}

// Send sends the message, connecting first if needed. A connection that
// fails is dropped and the message sent once more on a new one: the
// syslog daemon may have restarted on a new socket.
func (s *syslogSink) Send(ctx context.Context, payload []byte) error {
	fresh := s.conn == nil
	err := s.write(ctx, payload)
	if err != nil && !fresh && ctx.Err() == nil {
		s.disconnect()
		err = s.write(ctx, payload)
	}
	if err != nil {
		s.disconnect()
	}
	return err
}

func (s *syslogSink) write(ctx context.Context, payload []byte) error {
	if s.conn == nil {
		if err := s.connect(); err != nil {
			return err
		}
	}
	stop := context.AfterFunc(ctx, func() { s.conn.SetWriteDeadline(time.Now()) })
	defer stop()
	var err error
	if s.stream {
		_, err = s.conn.Write(append(payload, '\n'))
	} else {
		_, err = s.conn.Write(payload)
	}
	if err != nil {
		return fmt.Errorf("write syslog %s: %w", s.path, err)
	}
	return nil
}

func (s *syslogSink) connect() error {
	c, err := net.Dial("unixgram", s.path)
	if err == nil {
		s.conn, s.stream = c, false
		return nil
	}
	c, err2 := net.Dial("unix", s.path)
	if err2 != nil {
		return fmt.Errorf("connect syslog %s: %w", s.path, err)
	}
	s.conn, s.stream = c, true
	return nil
}

func (s *syslogSink) disconnect() {
	if s.conn != nil {
		s.conn.Close()
		s.conn = nil
	}
}

func (s *syslogSink) Flush(context.Context) error { return nil }

func (s *syslogSink) Close(context.Context) error {
	s.disconnect()
	return nil
}
