package cloudtrail

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kestrel-sec/kestrel/internal/srctest"
	"github.com/kestrel-sec/kestrel/source/jsonsrc"
)

// logFile renders records as CloudTrail writes a log file.
func logFile(tb testing.TB, recs ...map[string]any) []byte {
	tb.Helper()
	items := make([]any, len(recs))
	for i, r := range recs {
		items[i] = r
	}
	return srctest.JSON(tb, map[string]any{"Records": items})
}

func gz(tb testing.TB, data []byte) []byte {
	tb.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write(data)
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// timed returns a record of name at time ts.
func timed(name, ts string) map[string]any {
	return ctRecord("iam.amazonaws.com", name, map[string]any{"eventTime": ts})
}

type split struct {
	names []string
	ts    []uint64
}

func (s *split) emit(rec []byte, ts uint64) {
	var d jsonsrc.Doc
	if err := d.Parse(rec); err != nil {
		panic(err)
	}
	s.names = append(s.names, string(d.Root().Get("eventName").AppendText(nil)))
	s.ts = append(s.ts, ts)
}

func TestSplit(t *testing.T) {
	insight := timed("Insight", "2024-05-01T10:00:03Z")
	insight["eventType"] = "AwsCloudTrailInsight"
	noType := timed("NoType", "2024-05-01T10:00:04Z")
	delete(noType, "eventType")
	huge := timed("Huge", "2024-05-01T10:00:05Z")
	huge["requestParameters"] = map[string]any{"policy": strings.Repeat("x", 2000)}
	data := logFile(t, timed("A", "2024-05-01T10:00:01Z"), timed("B", "2024-05-01T10:00:02.5Z"),
		timed("BadTime", "yesterday"), insight, noType, huge)
	var s split
	sp := Splitter{MaxRecordSize: 1500}
	skipped, err := sp.Split(data, s.emit)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(s.names, ",") != "A,B" || s.ts[0] != 1714557601000000000 || s.ts[1] != 1714557602500000000 {
		t.Errorf("emitted %v at %v", s.names, s.ts)
	}
	if len(skipped) != 3 || !errors.Is(skipped[0], ErrNotCloudTrail) || !errors.Is(skipped[2], ErrTooLarge) {
		t.Errorf("skipped %v", skipped)
	}
}

func TestSplitForms(t *testing.T) {
	one := srctest.JSON(t, timed("One", "2024-05-01T10:00:01Z"))
	arr := srctest.JSON(t, []any{timed("A1", "2024-05-01T10:00:01Z"), timed("A2", "2024-05-01T10:00:02Z")})
	lines := bytes.Join([][]byte{one, []byte("{not json"), logFile(t, timed("L", "2024-05-01T10:00:03Z")), nil}, []byte("\n"))
	for _, c := range []struct {
		name    string
		data    []byte
		want    string
		skipped int
		err     error
	}{
		{"single record", one, "One", 0, nil},
		{"array", arr, "A1,A2", 0, nil},
		{"JSON lines", lines, "One,L", 1, nil},
		{"empty log", []byte(`{"Records":[]}`), "", 0, nil},
		{"not JSON", []byte(`{"Records":[`), "", 0, ErrBadJSON},
		{"audit event", []byte(`{"kind":"Event","auditID":"x"}`), "", 0, ErrNotCloudTrail},
		{"digest", []byte(`{"awsAccountId":"123456789012","digestStartTime":"2024-05-01T09:00:00Z","logFiles":[]}`), "", 0, ErrNotCloudTrail},
		{"Records not an array", []byte(`{"Records":{}}`), "", 0, ErrNotCloudTrail},
		{"bad lines only", []byte("x\ny\n"), "", 0, ErrNotCloudTrail},
	} {
		var s split
		var sp Splitter
		skipped, err := sp.Split(c.data, s.emit)
		if strings.Join(s.names, ",") != c.want || len(skipped) != c.skipped || !errors.Is(err, c.err) {
			t.Errorf("%s: emitted %v, skipped %v, error %v", c.name, s.names, skipped, err)
		}
	}
}

func TestDetect(t *testing.T) {
	var recs []map[string]any
	for range 200 {
		recs = append(recs, timed("CreateUser", "2024-05-01T10:00:01Z"))
	}
	big := logFile(t, recs...)
	for _, c := range []struct {
		name string
		data []byte
		want bool
	}{
		{"log file", big, true},
		{"gzipped log file", gz(t, big), true},
		{"start of a log file", big[:3000], true},
		{"start of a gzipped log file", gz(t, big)[:600], true},
		{"single record", srctest.JSON(t, timed("A", "2024-05-01T10:00:01Z")), true},
		{"JSON lines", append(append(srctest.JSON(t, timed("A", "2024-05-01T10:00:01Z")), '\n'), srctest.JSON(t, timed("B", "2024-05-01T10:00:02Z"))...), true},
		{"empty log", []byte(" {\"Records\": []}\n"), true},
		{"audit event", []byte(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"x","stage":"ResponseComplete"}`), false},
		{"records without eventSource", []byte(`{"Records":[{"eventVersion":"1.0"}]}`), false},
		{"S3 event notification", []byte(`{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3"}]}`), false},
		{"scap", []byte{0x0a, 0x0d, 0x0d, 0x0a, 0, 0, 0, 0}, false},
		{"empty", nil, false},
	} {
		if got := Detect(c.data); got != c.want {
			t.Errorf("%s: Detect = %v", c.name, got)
		}
	}
}

// writeTree writes files under dir, creating directories.
func writeTree(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// logTree is a CloudTrail bucket's layout with two log files of the same
// region, a third of another, and things that are no logs.
func logTree(t *testing.T) map[string][]byte {
	const day = "AWSLogs/123456789012/CloudTrail/us-east-1/2024/05/01/"
	return map[string][]byte{
		day + "123456789012_CloudTrail_us-east-1_20240501T1005Z_b.json.gz": gz(t, logFile(t, timed("C", "2024-05-01T10:04:00Z"), timed("D", "2024-05-01T10:05:00Z"))),
		day + "123456789012_CloudTrail_us-east-1_20240501T1000Z_a.json.gz": gz(t, logFile(t, timed("A", "2024-05-01T09:59:00Z"), timed("B", "2024-05-01T10:00:00Z"))),
		day + "123456789012_CloudTrail_us-east-1_20240501T1010Z_c.json":    logFile(t, timed("E", "2024-05-01T10:09:00Z")),
		day + "123456789012_CloudTrail_us-east-1_20240501T1015Z_d.json.gz": []byte("not gzip"),
		day + "123456789012_CloudTrail_us-east-1_20240501T1020Z_e.json":    []byte(`{"kind":"Event"}`),
		day + "README.txt": []byte("not a log"),
		"AWSLogs/123456789012/CloudTrail/us-west-2/2024/05/01/123456789012_CloudTrail_us-west-2_20240501T1000Z_f.json.gz": gz(t, logFile(t, timed("W", "2024-05-01T09:58:00Z"))),
	}
}

func TestFileReader(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, logTree(t))
	var s split
	stats := &jsonsrc.Stats{}
	fr := FileReader{Emit: s.emit, Stats: stats}
	if err := fr.Read(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(s.names, ","); got != "A,B,C,D,E,W" {
		t.Errorf("records %s", got)
	}
	if got := stats.Snapshot().Invalid; got != 2 {
		t.Errorf("invalid %d, want 2 (a bad gzip, an audit event)", got)
	}
	one := filepath.Join(dir, "AWSLogs/123456789012/CloudTrail/us-west-2/2024/05/01/123456789012_CloudTrail_us-west-2_20240501T1000Z_f.json.gz")
	s = split{}
	if err := fr.Read(context.Background(), one); err != nil || strings.Join(s.names, ",") != "W" {
		t.Errorf("one file: %v %v", s.names, err)
	}
	if err := fr.Read(context.Background(), filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing path read")
	}
	if err := fr.Read(context.Background(), t.TempDir()); err == nil {
		t.Error("an empty directory read")
	}
}

func TestFileReaderLimits(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "big.json.gz")
	os.WriteFile(p, gz(t, logFile(t, timed("A", "2024-05-01T10:00:01Z"), timed("B", "2024-05-01T10:00:01Z"))), 0o644)
	var s split
	stats := &jsonsrc.Stats{}
	fr := FileReader{Emit: s.emit, Stats: stats, MaxFileSize: 100}
	if err := fr.Read(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	if len(s.names) != 0 || stats.Snapshot().Invalid != 1 {
		t.Errorf("over the limit: %v, %+v", s.names, stats.Snapshot())
	}
}

func TestRunFiles(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, logTree(t))
	stats := &jsonsrc.Stats{}
	q := jsonsrc.NewQueue(100, stats)
	if err := Run(context.Background(), dir, Config{}, q, stats, nil); err != nil {
		t.Fatal(err)
	}
	if got := drain(q); got != "A,B,C,D,E,W" {
		t.Errorf("queued %s", got)
	}
	if sn := stats.Snapshot(); sn.Events != 6 || sn.Invalid != 2 {
		t.Errorf("stats %+v", sn)
	}
	if err := Run(context.Background(), filepath.Join(dir, "missing"), Config{}, q, stats, nil); err == nil {
		t.Error("a missing path read")
	}
	if err := Run(context.Background(), dir, Config{S3AccountList: "12"}, q, stats, nil); err == nil {
		t.Error("a bad account list accepted")
	}
}

// drain returns the event names of the queued items, decoding each.
func drain(q *jsonsrc.Queue) string {
	var s split
	var dec Decoder
	for {
		select {
		case it := <-q.Items():
			c := newCtx()
			if err := dec.Decode(c, it.Data, it.TS); err != nil {
				return "decode: " + err.Error()
			}
			s.emit(it.Data, it.TS)
		default:
			return strings.Join(s.names, ",")
		}
	}
}
