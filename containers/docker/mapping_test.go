package docker

import (
	"fmt"
	"testing"

	"github.com/moby/moby/api/types/container"

	"github.com/kestrel-sec/kestrel/containers"
	"github.com/kestrel-sec/kestrel/state"
)

func TestHealthcheck(t *testing.T) {
	for _, tc := range []struct {
		test []string
		want string // "" for no probe
	}{
		{[]string{"CMD", `"/bin/check"`, "'-v'", "x"}, "/bin/check -v x"},
		{[]string{"CMD-SHELL", `curl -f "http://localhost/"`}, `/bin/sh -c curl -f "http://localhost/"`},
		{[]string{"NONE"}, ""},
		{[]string{"CMD"}, ""},
		{[]string{"SHELL", "x"}, ""},
		{nil, ""},
	} {
		p := healthcheck(&container.HealthConfig{Test: tc.test})
		if got := string(p.AppendTo(nil)); got != tc.want || p.Set != (tc.want != "") {
			t.Errorf("healthcheck %q = %q (set %v), want %q", tc.test, got, p.Set, tc.want)
		}
	}
}

func TestProbesFromLastApplied(t *testing.T) {
	health := &container.HealthConfig{Test: []string{"CMD-SHELL", "true"}}
	for _, tc := range []struct {
		name, applied       string
		liveness, readiness string
		healthcheck         bool
	}{
		{"liveness wins", `{"spec":{"containers":[{"livenessProbe":{"exec":{"command":["cat","/ok"]}},` +
			`"readinessProbe":{"exec":{"command":["ls"]}}}]}}`, "cat /ok", "", false},
		{"readiness", `{"spec":{"containers":[{"readinessProbe":{"exec":{"command":["ls","-l"]}}}]}}`, "", "ls -l", false},
		{"first container only", `{"spec":{"containers":[{},{"livenessProbe":{"exec":{"command":["x"]}}}]}}`, "", "", true},
		{"http probe", `{"spec":{"containers":[{"livenessProbe":{"httpGet":{"port":80}}}]}}`, "", "", true},
		{"not json", `{`, "", "", true},
		{"none", ``, "", "", true},
	} {
		cfg := &container.Config{Healthcheck: health, Labels: map[string]string{}}
		if tc.applied != "" {
			cfg.Labels[labelLastApplied] = tc.applied
		}
		ps := probes(cfg)
		got := fmt.Sprintf("%s|%s|%v", ps[state.ProbeLiveness].AppendTo(nil), ps[state.ProbeReadiness].AppendTo(nil),
			ps[state.ProbeHealthcheck].Set)
		if want := fmt.Sprintf("%s|%s|%v", tc.liveness, tc.readiness, tc.healthcheck); got != want {
			t.Errorf("%s: probes %s, want %s", tc.name, got, want)
		}
	}
}

func TestUnquote(t *testing.T) {
	for in, want := range map[string]string{`"a"`: "a", `'"a"'`: "a", `"a'`: `"a'`, `"`: `"`, ``: ``, `a"`: `a"`} {
		if got := unquote(in); got != want {
			t.Errorf("unquote(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestImageFromRecord(t *testing.T) {
	const id = "45be1fd2dea519dafd8f019ed54b3d350ec6ab6864f44486e5e55c8676bfb3e6"
	for _, tc := range []struct {
		name, image       string
		digests, tags     []string
		repo, tag, digest string
	}{
		{"digest by repo", "docker.io/library/nginx:1.25",
			[]string{"quay.io/x/nginx@sha256:aaa", "docker.io/library/nginx@sha256:bbb"}, nil,
			"docker.io/library/nginx", "1.25", "sha256:bbb"},
		{"only digest", "localhost/busybox:test", []string{"other/thing@sha256:ccc"}, nil,
			"localhost/busybox", "test", "sha256:ccc"},
		{"ambiguous digests", "localhost/busybox:test", []string{"a/b@sha256:1", "c/d@sha256:2"}, nil,
			"localhost/busybox", "test", ""},
		{"tag from image", "nginx", []string{"nginx@sha256:ddd"}, []string{"nginx:latest"},
			"nginx", "latest", "sha256:ddd"},
		{"by id", id[:12], []string{"localhost/busybox@sha256:eee"}, []string{"localhost/busybox:test"},
			"localhost/busybox", "test", "sha256:eee"},
		{"digest in name", "localhost:5000/app@sha256:fff", nil, []string{"localhost:5000/app:v1"},
			"localhost:5000/app", "v1", "sha256:fff"},
	} {
		k := &state.Container{Image: tc.image}
		if !namedByID(tc.image, "sha256:"+id) {
			k.ImageRepo, k.ImageTag, k.ImageDigest = containers.SplitImage(tc.image)
		}
		digestFromImage(k, tc.digests)
		tagFromImage(k, tc.tags)
		if k.ImageRepo != tc.repo || k.ImageTag != tc.tag || k.ImageDigest != tc.digest {
			t.Errorf("%s: repo %q tag %q digest %q, want %q %q %q", tc.name,
				k.ImageRepo, k.ImageTag, k.ImageDigest, tc.repo, tc.tag, tc.digest)
		}
	}
	if got := idOfRef("sha256:" + id); got != id {
		t.Errorf("idOfRef = %q", got)
	}
	if got := idOfRef("localhost/busybox:test"); got != "" {
		t.Errorf("idOfRef of a name = %q", got)
	}
}
