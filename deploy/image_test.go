package deploy

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// The image the tests build, under a name of their own so that an
// operator's localhost/kestrel is left alone; TestMain removes it.
const (
	testImageRepo    = "localhost/kestrel-deploy-test"
	testImageVersion = "test"
	testImage        = testImageRepo + ":" + testImageVersion
	// maxImageSize bounds the image: one static binary.
	maxImageSize = 40 << 20
)

var image struct {
	once  sync.Once
	built bool
	err   error
}

// buildImage builds the image with deploy/image/build.sh once for the
// whole test run.
func buildImage(t *testing.T) []string {
	t.Helper()
	needTool(t, "podman")
	env := podmanEnv(t)
	goCmd := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goCmd); err != nil {
		goCmd = needTool(t, "go")
	}
	image.once.Do(func() {
		image.built = true
		_, image.err = run(append(slices.Clone(env), "IMAGE="+testImageRepo, "VERSION="+testImageVersion, "GO="+goCmd),
			filepath.Join(imageDir, "build.sh"))
	})
	if image.err != nil {
		t.Fatalf("deploy/image/build.sh: %v", image.err)
	}
	return env
}

// removeImage removes the test image and its :latest tag.
func removeImage() {
	if !image.built {
		return
	}
	run(podman.env, "podman", "rmi", "--force", testImage, testImageRepo+":latest")
}

// TestImage builds the image as deploy/image/build.sh does and checks
// what it holds: the static kestrel binary and nothing else, its entry
// point, its labels and its size.
func TestImage(t *testing.T) {
	env := buildImage(t)
	out, err := run(env, "podman", "image", "inspect", testImage)
	if err != nil {
		t.Fatal(err)
	}
	var inspect []struct {
		Size   int64
		Config struct {
			Entrypoint   []string
			Cmd          []string
			Labels       map[string]string
			ExposedPorts map[string]struct{}
			User         string
		}
	}
	if err := json.Unmarshal([]byte(out), &inspect); err != nil || len(inspect) != 1 {
		t.Fatalf("podman image inspect: %v\n%s", err, out)
	}
	img := inspect[0]
	if !slices.Equal(img.Config.Entrypoint, []string{"/usr/bin/kestrel"}) || !slices.Equal(img.Config.Cmd, []string{"run"}) {
		t.Errorf("entrypoint %q, cmd %q: want kestrel run", img.Config.Entrypoint, img.Config.Cmd)
	}
	if _, ok := img.Config.ExposedPorts["8765/tcp"]; !ok {
		t.Errorf("exposed ports %v: want 8765/tcp", img.Config.ExposedPorts)
	}
	for _, k := range []string{"title", "description", "source", "version", "revision", "created"} {
		if img.Config.Labels["org.opencontainers.image."+k] == "" {
			t.Errorf("label org.opencontainers.image.%s is missing", k)
		}
	}
	if v := img.Config.Labels["org.opencontainers.image.version"]; v != testImageVersion {
		t.Errorf("org.opencontainers.image.version %q, want %q", v, testImageVersion)
	}
	if img.Size <= 0 || img.Size > maxImageSize {
		t.Errorf("image size %d bytes, want at most %d", img.Size, maxImageSize)
	}
	t.Logf("image %s: %.1f MB", testImage, float64(img.Size)/1e6)

	files, bin := imageFiles(t, env)
	if !slices.Equal(files, []string{"usr/bin/kestrel"}) {
		t.Errorf("files in the image %q, want only usr/bin/kestrel", files)
	}
	checkStatic(t, bin)

	// The binary runs in the image, with nothing else there.
	out, err = run(env, "podman", "run", "--rm", "--network", "none", "--read-only", "--cap-drop", "ALL", testImage, "--help")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "Kestrel watches system calls") {
		t.Errorf("kestrel --help in the image:\n%s", out)
	}
}

// imageFiles returns every entry of the image's layers that is not a
// directory, and the kestrel binary's bytes.
func imageFiles(t *testing.T, env []string) ([]string, []byte) {
	t.Helper()
	archive := filepath.Join(t.TempDir(), "image.tar")
	if _, err := run(env, "podman", "save", "--format", "docker-archive", "-o", archive, testImage); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// The archive: manifest.json naming the layers, each a tar of its own.
	entries := map[string][]byte{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			entries[h.Name] = b
		}
	}
	var manifest []struct{ Layers []string }
	if err := json.Unmarshal(entries["manifest.json"], &manifest); err != nil || len(manifest) != 1 {
		t.Fatalf("docker-archive manifest.json: %v", err)
	}
	var files []string
	var bin []byte
	for _, l := range manifest[0].Layers {
		lr := tar.NewReader(bytes.NewReader(entries[l]))
		for {
			h, err := lr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("layer %s: %v", l, err)
			}
			if h.Typeflag == tar.TypeDir {
				continue
			}
			name := strings.TrimPrefix(h.Name, "./")
			files = append(files, name)
			if name == "usr/bin/kestrel" {
				if h.Mode&0o111 == 0 {
					t.Errorf("usr/bin/kestrel is not executable (mode %o)", h.Mode)
				}
				if bin, err = io.ReadAll(lr); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	return files, bin
}

// checkStatic checks that an ELF binary needs no dynamic loader and no
// shared library: the image has none.
func checkStatic(t *testing.T, bin []byte) {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(bin))
	if err != nil {
		t.Fatalf("kestrel in the image: %v", err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("kestrel in the image is dynamically linked (%v)", p.Type)
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) != 0 {
		t.Errorf("kestrel in the image needs %v", libs)
	}
}

// TestImageConfig runs the image with the manifest's ConfigMap mounted at
// /etc/kestrel, as the pod has it, without privileges: 'run --dry-run'
// loads the configuration and the rules as a start would.
func TestImageConfig(t *testing.T) {
	env := buildImage(t)
	o := manifest(t)
	ds, cm := one(t, "DaemonSet", o.DaemonSets), one(t, "ConfigMap", o.ConfigMaps)
	dir := t.TempDir()
	configFiles(t, ds.Spec.Template.Spec, cm, dir, false)
	out, err := run(env, "podman", "run", "--rm", "--network", "none", "--read-only", "--cap-drop", "ALL",
		"-v", dir+":/etc/kestrel:ro", testImage, "run", "--dry-run", "--config", "/etc/kestrel/kestrel.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"rules files:      /etc/kestrel/kestrel_rules.yaml, /etc/kestrel/rules.d",
		"web server:       http://0.0.0.0:8765",
		"/metrics",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("kestrel run --dry-run in the image: no %q in\n%s", want, out)
		}
	}
}

// podmanArgs translates the manifest's pod into 'podman run' arguments:
// the host's PID namespace, the container's user, capabilities, seccomp
// profile, read-only root, environment, mounts and arguments. Host paths
// this host lacks (runtimes it does not run) are left out: a kubelet's
// runtime would create them. It returns the arguments after the image.
func podmanArgs(t *testing.T, p corev1.PodSpec, cm *corev1.ConfigMap, node string, seccomp bool) (opts, args []string) {
	t.Helper()
	c := p.Containers[0]
	sc := c.SecurityContext
	if p.HostPID {
		opts = append(opts, "--pid", "host")
	}
	opts = append(opts, "--user", fmt.Sprintf("%d:%d", *sc.RunAsUser, *sc.RunAsGroup), "--cap-drop", "ALL")
	for _, c := range sc.Capabilities.Add {
		opts = append(opts, "--cap-add", string(c))
	}
	if sc.ReadOnlyRootFilesystem != nil && *sc.ReadOnlyRootFilesystem {
		opts = append(opts, "--read-only")
	}
	if sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation {
		opts = append(opts, "--security-opt", "no-new-privileges")
	}
	if seccomp && sc.SeccompProfile != nil && sc.SeccompProfile.Type == corev1.SeccompProfileTypeUnconfined {
		opts = append(opts, "--security-opt", "seccomp=unconfined")
	}
	vars := map[string]string{}
	for _, e := range c.Env {
		v := e.Value
		if e.ValueFrom != nil && e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "spec.nodeName" {
			v = node
		}
		vars[e.Name] = v
		opts = append(opts, "--env", e.Name+"="+v)
	}
	vols := map[string]corev1.Volume{}
	for _, v := range p.Volumes {
		vols[v.Name] = v
	}
	for _, m := range c.VolumeMounts {
		v := vols[m.Name]
		ro := ""
		if m.ReadOnly {
			ro = ":ro"
		}
		switch {
		case v.HostPath != nil:
			if _, err := os.Stat(v.HostPath.Path); err != nil {
				t.Logf("not mounted, missing on this host: %s", v.HostPath.Path)
				continue
			}
			opts = append(opts, "-v", v.HostPath.Path+":"+m.MountPath+ro)
		case v.ConfigMap != nil:
			dir := t.TempDir()
			configFiles(t, p, cm, dir, false)
			opts = append(opts, "-v", dir+":"+m.MountPath+ro)
		}
	}
	for _, a := range c.Args {
		args = append(args, os.Expand(strings.NewReplacer("$(", "${", ")", "}").Replace(a), func(k string) string { return vars[k] }))
	}
	return opts, args
}

// TestImageLive runs the image as the DaemonSet runs it: the manifest's
// pod translated to podman (host PID namespace, all capabilities dropped
// but the four listed, no seccomp filter, read-only root, the /host
// mounts, HOST_ROOT), its web server published as the kubelet reaches it;
// /healthz must answer 200 once the probe is attached, and an alert must
// come out. This proves the least capability set works. It needs root
// and a kernel with BTF.
func TestImageLive(t *testing.T) {
	if os.Geteuid() != 0 {
		cannot(t, "loading the probe needs root")
	}
	if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
		cannot(t, "the kernel has no BTF: %v", err)
	}
	env := buildImage(t)
	o := manifest(t)
	ds, cm := one(t, "DaemonSet", o.DaemonSets), one(t, "ConfigMap", o.ConfigMaps)
	p := ds.Spec.Template.Spec
	const node = "kestrel-test-node"
	opts, args := podmanArgs(t, p, cm, node, true)
	port := p.Containers[0].Ports[0].ContainerPort

	name := fmt.Sprintf("kestrel-deploy-test-%d", os.Getpid())
	runArgs := append([]string{"run", "-d", "--name", name, "-p", fmt.Sprintf("127.0.0.1::%d", port)}, opts...)
	runArgs = append(append(runArgs, testImage), args...)
	if _, err := run(env, "podman", runArgs...); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { run(env, "podman", "rm", "--force", "--time", "0", name) })
	logs := func() string { out, _ := run(env, "podman", "logs", name); return out }

	hostPort, err := run(env, "podman", "port", name, fmt.Sprintf("%d/tcp", port))
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + strings.TrimSpace(strings.Split(hostPort, "\n")[0])
	health := p.Containers[0].ReadinessProbe.HTTPGet.Path
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(90 * time.Second)
	for {
		resp, err := client.Get(base + health)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if state, _ := run(env, "podman", "inspect", "--format", "{{.State.Status}}", name); state != "running" {
			t.Fatalf("Kestrel stopped (%s) before %s answered 200:\n%s", state, health, logs())
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s%s did not answer 200 (last: %v):\n%s", base, health, err, logs())
		}
		time.Sleep(500 * time.Millisecond)
	}

	resp, err := client.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte("kestrel_")) {
		t.Errorf("/metrics: %s, %d bytes, no kestrel_ metric", resp.Status, len(body))
	}

	// An alert of the default rules, with the node's name.
	var alert string
	for i := 0; i < 20 && alert == ""; i++ {
		if err := exec.Command("cat", "/etc/shadow").Run(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond)
		for _, l := range strings.Split(logs(), "\n") {
			if strings.Contains(l, `"rule":"Credential file read by unexpected program"`) && strings.Contains(l, "/etc/shadow") {
				alert = l
			}
		}
	}
	if alert == "" {
		t.Fatalf("no alert for cat /etc/shadow:\n%s", logs())
	}
	var a struct {
		Hostname string `json:"hostname"`
		Fields   struct {
			User *string `json:"user.name"`
		} `json:"output_fields"`
	}
	t.Logf("alert: %s", alert)
	if err := json.Unmarshal([]byte(alert), &a); err != nil {
		t.Fatal(err)
	}
	if a.Hostname != node {
		t.Errorf("alert hostname %q, want the node's name %q", a.Hostname, node)
	}
	// The host's users are read from $HOST_ROOT/etc: the image has no /etc.
	if a.Fields.User == nil || *a.Fields.User != "root" {
		t.Errorf("alert user.name %v, want root, read from the host's /etc below HOST_ROOT", a.Fields.User)
	}

	// SIGTERM, as the kubelet sends it: Kestrel drains, flushes and exits 0
	// well within the grace period.
	start := time.Now()
	if _, err := run(env, "podman", "stop", "--time", fmt.Sprint(*p.TerminationGracePeriodSeconds), name); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	code, _ := run(env, "podman", "inspect", "--format", "{{.State.ExitCode}}", name)
	if code != "0" || took > 10*time.Second {
		t.Errorf("after SIGTERM: exit code %s after %v, want 0 within 10 s:\n%s", code, took, logs())
	}
}

// TestImageSeccomp checks what the container runtime's default seccomp
// profile does to Kestrel, the reason the manifest asks for none: with
// podman's (containers-common) profile, bpf() is allowed only with
// CAP_SYS_ADMIN and the probe cannot load; Kestrel must then say that
// seccomp is the cause.
func TestImageSeccomp(t *testing.T) {
	if os.Geteuid() != 0 {
		cannot(t, "loading the probe needs root")
	}
	if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
		cannot(t, "the kernel has no BTF: %v", err)
	}
	env := buildImage(t)
	o := manifest(t)
	ds, cm := one(t, "DaemonSet", o.DaemonSets), one(t, "ConfigMap", o.ConfigMaps)
	opts, args := podmanArgs(t, ds.Spec.Template.Spec, cm, "kestrel-test-node", false)
	runArgs := append(append([]string{"run", "--rm", "--network", "none"}, opts...), testImage)
	runArgs = append(runArgs, append(args, "--seconds", "3")...)
	out, err := run(env, "podman", runArgs...)
	if err == nil {
		t.Logf("the runtime's default seccomp profile allows the probe here: RuntimeDefault would do on such nodes\n%s", out)
		return
	}
	// Where it is refused, Kestrel says why and what to do.
	if msg := out + err.Error(); !strings.Contains(msg, "refuses the bpf() system call") || !strings.Contains(msg, "seccomp") {
		t.Errorf("Kestrel failed under the default seccomp profile without naming it: %v\n%s", err, out)
	}
}
