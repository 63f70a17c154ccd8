package github

import (
	"bytes"
	"strconv"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/field"
	"github.com/kestrel-sec/kestrel/source/jsonsrc"
)

// current returns the root of the context's GitHub event; missing when
// the current event is none.
func current(c *field.Context) jsonsrc.Value {
	e, _ := c.Plugin.(*Event)
	if e == nil {
		return jsonsrc.Value{}
	}
	return e.root()
}

// extractor computes a field from the event's root, which exists.
type extractor func(dst []byte, root jsonsrc.Value) ([]byte, bool)

// def defines a text field computed by x on GitHub events.
func def(name, desc string, x extractor) field.Def {
	return field.Def{Name: name, Type: event.PTCharBuf, Desc: desc,
		Text: func(dst []byte, c *field.Context, _ *field.Arg) ([]byte, bool) {
			r := current(c)
			if !r.Exists() {
				return dst, false
			}
			return x(dst, r)
		}}
}

// appendStr appends a string's content; nothing for other values.
func appendStr(dst []byte, v jsonsrc.Value) []byte {
	if v.Kind() != jsonsrc.String {
		return dst
	}
	return v.AppendText(dst)
}

// str is a field holding the string at path: empty, not missing, when the
// payload lacks it, as the upstream plugin gives it.
func str(path ...string) extractor {
	return func(dst []byte, r jsonsrc.Value) ([]byte, bool) {
		return appendStr(dst, r.At(path...)), true
	}
}

// Fields returns the github.* fields of the github plugin.
func Fields() []field.Def {
	return append(payloadFields(), findingFields()...)
}

// payloadFields are the fields read from the webhook payload.
func payloadFields() []field.Def {
	repoDesc := " Webhook payloads hold the repository when the event comes from activity in one."
	return []field.Def{
		def("github.type", "the event type, the X-GitHub-Event header (push, repository, member, …)", str(keyType)),
		def("github.action", "the event's action, which qualifies its type: a repository event has created, deleted, publicized, …", str("action")),
		def("github.user", "the login of the user that triggered the event", str("sender", "login")),
		def("github.repo", "(deprecated) the URL of the repository where the event occurred."+repoDesc, str("repository", "html_url")),
		def("github.repo.url", "the URL of the repository where the event occurred."+repoDesc, str("repository", "html_url")),
		def("github.repo.name", "the name of the repository where the event occurred, as owner/name."+repoDesc, repoName),
		def("github.repo.description", "the description of the repository", str("repository", "description")),
		def("github.org", "the login of the organization the repository belongs to", str("organization", "login")),
		def("github.owner", "the login of the repository's owner", str("repository", "owner", "login")),
		def("github.repo.public", "'true' if the repository of the event is public, 'false' otherwise; no value without a repository", repoPublic),
		def("github.collaborator.name", "the login of the member added to or removed from a repository", str("member", "login")),
		def("github.collaborator.role", "the permission a member event gives the member", str("changes", "permission", "to")),
		def("github.webhook.id", "the id of the webhook a ping or meta event is about (0 when none)", hookID),
		def("github.webhook.type", "the type of the webhook a ping or meta event is about (Repository, Organization, …)", str("hook", "type")),
		def("github.commit.added", "the files the commits of a push added, as a comma separated list", commitFiles("added")),
		def("github.commit.modified", "the files the commits of a push modified, as a comma separated list", commitFiles("modified")),
		def("github.commit.removed", "the files the commits of a push removed, as a comma separated list", commitFiles("removed")),
		def("github.workflow.filename", "the path of the workflow file of a workflow_run event", str("workflow", "path")),
	}
}

// githubWeb is the prefix github.repo.name strips from the repository URL.
const githubWeb = "https://github.com/"

func repoName(dst []byte, r jsonsrc.Value) ([]byte, bool) {
	start := len(dst)
	dst = appendStr(dst, r.At("repository", "html_url"))
	if bytes.HasPrefix(dst[start:], []byte(githubWeb)) {
		dst = append(dst[:start], dst[start+len(githubWeb):]...)
	}
	return dst, true
}

func repoPublic(dst []byte, r jsonsrc.Value) ([]byte, bool) {
	repo := r.Get("repository")
	if repo.Kind() != jsonsrc.Object {
		return dst, false
	}
	return strconv.AppendBool(dst, !repo.Get("private").Bool()), true
}

func hookID(dst []byte, r jsonsrc.Value) ([]byte, bool) {
	id := r.At("hook", "id")
	if raw := id.Raw(); id.Kind() == jsonsrc.Number && isDigits(raw) {
		return append(dst, raw...), true
	}
	return append(dst, '0'), true
}

func isDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}

// commitFiles lists the file names under key in every commit of a push.
func commitFiles(key string) extractor {
	return func(dst []byte, r jsonsrc.Value) ([]byte, bool) {
		var l list
		commits := r.Get("commits").Iter()
		for {
			_, c, ok := commits.Next()
			if !ok {
				return dst, true
			}
			names := c.Get(key).Iter()
			for {
				_, n, ok := names.Next()
				if !ok {
					break
				}
				dst = appendStr(l.next(dst), n)
			}
		}
	}
}

// list writes a comma separated list.
type list struct{ n int }

// next appends the separator before an item.
func (l *list) next(dst []byte) []byte {
	l.n++
	if l.n > 1 {
		dst = append(dst, ',')
	}
	return dst
}
