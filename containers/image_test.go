package containers

import "testing"

func TestSplitImage(t *testing.T) {
	for _, c := range []struct{ in, repo, tag, digest string }{
		{"localhost/busybox:test", "localhost/busybox", "test", ""},
		{"nginx", "nginx", "", ""},
		{"nginx:1.27", "nginx", "1.27", ""},
		{"docker.io/library/nginx:1.27", "docker.io/library/nginx", "1.27", ""},
		{"registry.local:5000/team/app:v2", "registry.local:5000/team/app", "v2", ""},
		{"registry.local:5000/team/app", "registry.local:5000/team/app", "", ""},
		{"quay.io/app@sha256:0123abcd", "quay.io/app", "", "sha256:0123abcd"},
		{"quay.io/app:1@sha256:0123abcd", "quay.io/app", "1", "sha256:0123abcd"},
		{"sha256:fc53a23ddb79", "sha256", "fc53a23ddb79", ""},
		{"", "", "", ""},
	} {
		repo, tag, digest := SplitImage(c.in)
		if repo != c.repo || tag != c.tag || digest != c.digest {
			t.Errorf("SplitImage(%q) = %q, %q, %q; want %q, %q, %q", c.in, repo, tag, digest, c.repo, c.tag, c.digest)
		}
	}
}
