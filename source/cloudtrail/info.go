package cloudtrail

import (
	"bytes"
	"strconv"

	"github.com/kestrel-sec/kestrel/source/jsonsrc"
)

// appendInfo appends ct.info: "user via srcip !→ EventName" (the via part
// left out when the two are the same, ! only for a failed call, ← for a
// read and → for a write), then details: the public access block
// settings of PutBucketPublicAccessBlock, or the bytes moved and the S3
// object, bucket or key, or the host of the request. A record without a
// user, source address or event name gets a note saying so instead.
func appendInfo(dst []byte, r jsonsrc.Value) ([]byte, bool) {
	start := len(dst)
	dst, ok := appendUser(dst, r)
	if !ok {
		return append(dst[:start], "<invalid cloudtrail event: userIdentity field missing>"...), true
	}
	user := len(dst)
	srcip, name := r.Get("sourceIPAddress"), r.Get("eventName")
	switch {
	case !srcip.Exists():
		return append(dst[:start], "<invalid cloudtrail event: eventSource field missing>"...), true
	case !name.Exists():
		return append(dst[:start], "<invalid cloudtrail event: eventName field missing>"...), true
	}
	dst = append(dst, " via "...)
	dst = srcip.AppendText(dst)
	if bytes.Equal(dst[start:user], dst[user+len(" via "):]) {
		dst = dst[:user]
	}
	dst = append(dst, ' ')
	if r.Get("errorCode").Exists() {
		dst = append(dst, '!')
	}
	if ro := r.Get("readOnly"); ro.Exists() && !ro.Bool() {
		dst = append(dst, "→"...)
	} else {
		dst = append(dst, "←"...)
	}
	dst = append(dst, ' ')
	dst = name.AppendText(dst)
	return appendDetails(dst, r, name), true
}

// appendDetails appends the event-specific part of ct.info.
func appendDetails(dst []byte, r, name jsonsrc.Value) []byte {
	if name.StrEq("PutBucketPublicAccessBlock") {
		cfg := r.At("requestParameters", "PublicAccessBlockConfiguration")
		if cfg.Kind() != jsonsrc.Object {
			return dst
		}
		for _, k := range [...]string{"BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"} {
			dst = append(dst, ' ')
			dst = append(dst, k...)
			dst = append(dst, '=')
			dst = strconv.AppendBool(dst, cfg.Get(k).Bool())
		}
		return append(dst, ' ')
	}
	if n, ok := s3Bytes(r); ok {
		dst = append(dst, " Size="...)
		dst = strconv.AppendUint(dst, n, 10)
	}
	if d, ok := s3URI(append(dst, " URI="...), r); ok {
		return d
	}
	req := r.Get("requestParameters")
	for _, kv := range [...]struct{ label, key string }{{" Bucket=", "bucketName"}, {" Key=", "key"}, {" Host=", "Host"}} {
		if v := req.Get(kv.key); v.Exists() {
			return v.AppendText(append(dst, kv.label...))
		}
	}
	return dst
}
