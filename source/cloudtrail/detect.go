package cloudtrail

import (
	"bytes"
	"compress/gzip"
	"io"

	"github.com/kestrel-sec/kestrel/source/jsonsrc"
)

// detectWindow bounds how much of the input Detect looks at, after
// decompression.
const detectWindow = 1 << 20

// Detect reports whether data, the start of a file or all of it, looks
// like CloudTrail: a log file {"Records":[...]} whose first record has
// eventVersion and eventSource (not the aws:s3 or aws:sqs of the event
// notifications of those services), a single such record, an array of
// them, or JSON lines starting with one. Gzipped data is looked at
// decompressed. A log file cut short is recognised from its start.
func Detect(data []byte) bool {
	if isGzip(data) {
		data = gunzipPrefix(data, detectWindow)
	}
	data = bytes.TrimLeft(data, " \t\r\n\ufeff")
	if len(data) > detectWindow {
		data = data[:detectWindow]
	}
	var d jsonsrc.Doc
	if d.Parse(data) == nil {
		return looksLike(d.Root())
	}
	if line, _, ok := bytes.Cut(data, []byte{'\n'}); ok && d.Parse(line) == nil {
		return looksLike(d.Root())
	}
	return prefixLooksLike(data)
}

// looksLike judges a parsed document.
func looksLike(v jsonsrc.Value) bool {
	switch v.Kind() {
	case jsonsrc.Array:
		return isTrailRecord(v.Index(0))
	case jsonsrc.Object:
		recs := v.Get("Records")
		if !recs.Exists() {
			return isTrailRecord(v)
		}
		if recs.Kind() != jsonsrc.Array {
			return false
		}
		if recs.Len() == 0 {
			return v.Len() == 1 // {"Records":[]}: a log file of a quiet spell
		}
		return isTrailRecord(recs.Index(0))
	}
	return false
}

// isTrailRecord reports whether v looks like a record CloudTrail wrote,
// rather than one of the event notifications of S3, SQS and the like,
// whose eventSource is "aws:s3", "aws:sqs", ….
func isTrailRecord(v jsonsrc.Value) bool {
	if !isRecord(v) {
		return false
	}
	b := v.Get("eventSource").AppendText(nil)
	return !bytes.HasPrefix(b, []byte("aws:"))
}

// prefixLooksLike judges the start of a document too long or cut short
// to parse: an object holding Records, or a record, with both
// eventVersion and eventSource keys near its start.
func prefixLooksLike(data []byte) bool {
	if len(data) == 0 || data[0] != '{' && data[0] != '[' {
		return false
	}
	head := data[:min(len(data), 64<<10)]
	has := func(k string) bool { return bytes.Contains(head, []byte(k)) }
	if !has(`"eventVersion"`) || !has(`"eventSource"`) || has(`"eventSource":"aws:`) {
		return false
	}
	return data[0] == '[' || has(`"Records"`) || has(`"eventTime"`)
}

func isGzip(data []byte) bool { return len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b }

// gunzipPrefix decompresses up to limit bytes of data, keeping what it
// got when the data is cut short.
func gunzipPrefix(data []byte, limit int64) []byte {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil
	}
	out, _ := io.ReadAll(io.LimitReader(zr, limit))
	return out
}
