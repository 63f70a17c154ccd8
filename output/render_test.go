package output

import (
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/alert"
	"github.com/kestrel-sec/kestrel/rules"
)

const (
	wantText = "03:04:05.000006001: Warning Shell spawned (n=1 user=root)"
	wantJSON = `{"hostname":"node-1","output":"03:04:05.000006001: Warning Shell spawned (n=1 user=root)",` +
		`"output_fields":{"evt.time":6001,"n":1,"user.name":"root"},"priority":"Warning",` +
		`"rule":"Shell in container","source":"syscall","tags":["container","shell"],"time":"2026-01-02T03:04:05.000006001Z"}`
)

// TestRenderLines checks the exact lines of the stdout, file and program
// outputs, in text and in JSON, with Falco's JSON options.
func TestRenderLines(t *testing.T) {
	a := testAlert(1, rules.PriorityWarning)
	msgOnly := Format{JSON: true, JSONOptions: alert.JSONOptions{OmitOutput: true, OmitTags: true,
		OmitOutputFields: true, Message: true}}
	cases := []struct {
		name   string
		format Format
		want   string
	}{
		{"text", Format{}, wantText + "\n"},
		{"json", Format{JSON: true}, wantJSON + "\n"},
		{"json message only", msgOnly, `{"hostname":"node-1","message":"Shell spawned (n=1 user=root)",` +
			`"priority":"Warning","rule":"Shell in container","source":"syscall","time":"2026-01-02T03:04:05.000006001Z"}` + "\n"},
	}
	for _, c := range cases {
		file, _ := newFile(FileOptions{Filename: "x"}, c.format, false)
		prog, _ := newProgram(ProgramOptions{Program: "cat"}, c.format, false, slog.New(slog.DiscardHandler))
		sinks := []Sink{newStdout(StdoutOptions{}, c.format, false), file, prog}
		for _, s := range sinks {
			if got := string(s.Render([]byte("old"), &a)); got != "old"+c.want {
				t.Errorf("%s %s:\ngot  %q\nwant %q", c.name, s.Name(), got, "old"+c.want)
			}
		}
	}
}

// TestRenderHTTP checks that the body is the JSON form, whatever
// json_output says, with the json_include_* options.
func TestRenderHTTP(t *testing.T) {
	a := testAlert(1, rules.PriorityWarning)
	s, err := newHTTP(HTTPOptions{URL: "http://127.0.0.1:1/"}, alert.JSONOptions{}, "1.0")
	if err != nil {
		t.Fatal(err)
	}
	if got := string(s.Render(nil, &a)); got != wantJSON {
		t.Errorf("body\n%s\nwant\n%s", got, wantJSON)
	}
	s.jopts = alert.JSONOptions{StaticFields: map[string]string{"cluster": "eu-1"}}
	want := `{"hostname":"node-1","output":"03:04:05.000006001: Warning Shell spawned (n=1 user=root)",` +
		`"output_fields":{"evt.time":6001,"n":1,"static.cluster":"eu-1","user.name":"root"},"priority":"Warning",` +
		`"rule":"Shell in container","source":"syscall","tags":["container","shell"],"time":"2026-01-02T03:04:05.000006001Z"}`
	if got := string(s.Render(nil, &a)); got != want {
		t.Errorf("body with static fields\n%s\nwant\n%s", got, want)
	}
}

// TestRenderSyslog checks RFC 5424 messages byte for byte: PRI for each
// priority and facility, the header fields and the message.
func TestRenderSyslog(t *testing.T) {
	s, err := newSyslog(SyslogOptions{}, Format{})
	if err != nil {
		t.Fatal(err)
	}
	s.pid = "4242"
	a := testAlert(1, rules.PriorityWarning)
	want := "<12>1 2026-01-02T03:04:05.000006Z node-1 kestrel 4242 - - " + wantText
	if got := string(s.Render(nil, &a)); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}

	s.format = Format{JSON: true}
	s.facility = FacilityLocal0
	s.app = "kestrel agent"
	a.Hostname = ""
	a.Time = time.Time{}
	a.Priority = rules.PriorityEmergency
	got := string(s.Render(nil, &a))
	wantHead := "<128>1 - - kestrel_agent 4242 - - {"
	if got[:len(wantHead)] != wantHead {
		t.Errorf("got %q, want it to start with %q", got, wantHead)
	}

	for p := rules.PriorityEmergency; p <= rules.PriorityDebug; p++ {
		a.Priority = p
		for _, f := range []Facility{FacilityUser, FacilityDaemon, FacilityLocal0, FacilityLocal7} {
			s.facility = f
			got := string(s.Render(nil, &a))
			want := "<" + strconv.Itoa(int(f)*8+int(p)) + ">1 "
			if got[:len(want)] != want {
				t.Errorf("%v facility %d: %q, want PRI %q", p, f, got[:len(want)], want)
			}
		}
	}
}

func TestParseFacility(t *testing.T) {
	for name, want := range map[string]Facility{"user": 1, "daemon": 3, "local0": 16, "local7": 23, "authpriv": 10} {
		if got, err := ParseFacility(name); err != nil || got != want {
			t.Errorf("%s: %d %v, want %d", name, got, err, want)
		}
	}
	if _, err := ParseFacility("kern"); err == nil {
		t.Error("kern accepted: programs cannot log as the kernel")
	}
}

// TestDefaultSyslogFacility checks that the zero facility is user, as
// Falco's messages have.
func TestDefaultSyslogFacility(t *testing.T) {
	s, err := newSyslog(SyslogOptions{}, Format{})
	if err != nil || s.facility != FacilityUser || s.path != "/dev/log" || s.app != "kestrel" {
		t.Errorf("defaults: %+v %v", s, err)
	}
	if _, err := newSyslog(SyslogOptions{Facility: 24}, Format{}); err == nil {
		t.Error("facility 24 accepted")
	}
}
