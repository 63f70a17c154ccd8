package github

import (
	"bytes"

	"github.com/kestrel-sec/kestrel/field"
	"github.com/kestrel-sec/kestrel/source/jsonsrc"
)

// findingFields are the fields read from what Kestrel found in a push's
// diff and a workflow run's workflow file. They have no value on events
// that were not scanned.
func findingFields() []field.Def {
	secretsDesc := "For push events, when the pushed commits add secrets (AWS keys, GitHub tokens, …): "
	return []field.Def{
		def("github.diff.has_secrets", "For push events, 'true' if the diff of the pushed commits adds a secret, 'false' otherwise", hasSecrets),
		def("github.diff.committed_secrets.desc", secretsDesc+"the kind of each secret, as a comma separated list", eachSecret(secretDesc)),
		def("github.diff.committed_secrets.files", secretsDesc+"the file each secret was committed to, as a comma separated list", eachSecret(secretFile)),
		def("github.diff.committed_secrets.lines", secretsDesc+"the line of each secret in its file, as a comma separated list", eachSecret(secretLine)),
		def("github.diff.committed_secrets.links", secretsDesc+"the link to each secret's line on GitHub, as a comma separated list", eachSecret(secretLink)),
		def("github.workflow.has_miners", "For workflow_run events, 'true' if a crypto miner was found in the workflow file, 'false' otherwise", hasMiners),
		def("github.workflow.miners.type", "For workflow_run events, the kinds of crypto miners found in the workflow file (xmrig, stratum, …), as a comma separated list", minerTypes),
	}
}

// secretFiles returns the files with secrets of a scanned push; ok is
// false when the event was not scanned.
func secretFiles(r jsonsrc.Value) (files jsonsrc.Value, ok bool) {
	files = r.Get(keyFiles)
	return files, files.Kind() == jsonsrc.Array
}

func hasSecrets(dst []byte, r jsonsrc.Value) ([]byte, bool) {
	files, ok := secretFiles(r)
	if !ok {
		return dst, false
	}
	found := false
	it := files.Iter()
	for {
		_, f, more := it.Next()
		if !more || found {
			break
		}
		found = f.Get("matches").Len() > 0
	}
	return appendBool(dst, found), true
}

func appendBool(dst []byte, b bool) []byte {
	if b {
		return append(dst, "true"...)
	}
	return append(dst, "false"...)
}

// secretItem appends one item of a list about a secret found in file.
type secretItem func(dst []byte, r, file, match jsonsrc.Value) []byte

// eachSecret lists an item for every secret found in a scanned push.
func eachSecret(item secretItem) extractor {
	return func(dst []byte, r jsonsrc.Value) ([]byte, bool) {
		files, ok := secretFiles(r)
		if !ok {
			return dst, false
		}
		var l list
		fi := files.Iter()
		for {
			_, f, more := fi.Next()
			if !more {
				return dst, true
			}
			mi := f.Get("matches").Iter()
			for {
				_, m, more := mi.Next()
				if !more {
					break
				}
				dst = item(l.next(dst), r, f, m)
			}
		}
	}
}

func secretDesc(dst []byte, _, _, m jsonsrc.Value) []byte {
	return appendStr(dst, m.Get("desc"))
}

func secretFile(dst []byte, _, f, _ jsonsrc.Value) []byte {
	return appendStr(dst, f.Get("name"))
}

func secretLine(dst []byte, _, _, m jsonsrc.Value) []byte {
	return appendUint(dst, m.Get("line"))
}

// secretLink appends the link to a secret's line: the repository URL,
// /blob/, the head commit, the file and #L with the line, as the upstream
// plugin writes it.
func secretLink(dst []byte, r, f, m jsonsrc.Value) []byte {
	dst = appendStr(dst, r.At("repository", "html_url"))
	dst = appendStr(append(dst, "/blob/"...), r.At("head_commit", "id"))
	dst = appendStr(append(dst, '/'), f.Get("name"))
	return appendUint(append(dst, "/#L"...), m.Get("line"))
}

// appendUint appends a number that is a non-negative integer; 0 for
// anything else.
func appendUint(dst []byte, v jsonsrc.Value) []byte {
	if raw := v.Raw(); v.Kind() == jsonsrc.Number && isDigits(raw) {
		return append(dst, raw...)
	}
	return append(dst, '0')
}

// minerMatches returns the miners found in a scanned workflow run; ok is
// false when the event was not scanned.
func minerMatches(r jsonsrc.Value) (matches jsonsrc.Value, ok bool) {
	matches = r.At(keyMiners, "matches")
	return matches, matches.Kind() == jsonsrc.Array
}

func hasMiners(dst []byte, r jsonsrc.Value) ([]byte, bool) {
	m, ok := minerMatches(r)
	if !ok {
		return dst, false
	}
	return appendBool(dst, m.Len() > 0), true
}

// minerTypes lists each kind of miner found once, in the order found.
func minerTypes(dst []byte, r jsonsrc.Value) ([]byte, bool) {
	m, ok := minerMatches(r)
	if !ok {
		return dst, false
	}
	start := len(dst)
	var l list
	it := m.Iter()
	for {
		_, v, more := it.Next()
		if !more {
			return dst, true
		}
		mark := len(dst)
		dst = appendStr(l.next(dst), v.Get("type"))
		if listed(dst[start:mark], bytes.TrimPrefix(dst[mark:], []byte{','})) {
			dst = dst[:mark]
			l.n--
		}
	}
}

// listed reports whether item is one of the comma separated items of l.
func listed(l, item []byte) bool {
	for len(l) > 0 {
		var cur []byte
		cur, l, _ = bytes.Cut(l, []byte{','})
		if bytes.Equal(cur, item) {
			return true
		}
	}
	return false
}
