package deploy

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// Paths relative to this module's directory.
const (
	manifestPath = "kubernetes/kestrel.yaml"
	chartDir     = "helm/kestrel"
	imageDir     = "image"
	// rootDir is Kestrel's module, the parent of this one.
	rootDir = ".."
	// embeddedRules is the rules file built into Kestrel.
	embeddedRules = "../internal/defaultrules/kestrel_rules.yaml"
)

// inCI reports whether the tests run in CI, where a missing tool is a
// failure, not a reason to skip.
func inCI() bool { return os.Getenv("CI") == "true" }

// cannot skips the test, or fails it in CI.
func cannot(t *testing.T, format string, args ...any) {
	t.Helper()
	if inCI() {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// needTool returns the path of a program, or skips (fails in CI) without it.
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		cannot(t, "%s is needed: %v", name, err)
	}
	return p
}

// run runs a command with extra environment and returns its trimmed
// stdout; the error holds stderr.
func run(env []string, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return strings.TrimSpace(out.String()), fmt.Errorf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out.String(), errb.String())
	}
	return strings.TrimSpace(out.String()), nil
}

var kestrelBin struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// kestrel builds Kestrel from the parent module once for the whole test
// run and returns the binary's path.
func kestrel(t *testing.T) string {
	t.Helper()
	goCmd := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goCmd); err != nil {
		goCmd = needTool(t, "go")
	}
	kestrelBin.once.Do(func() {
		kestrelBin.dir, kestrelBin.err = os.MkdirTemp("", "kestrel-deploy-test")
		if kestrelBin.err != nil {
			return
		}
		kestrelBin.path = filepath.Join(kestrelBin.dir, "kestrel")
		cmd := exec.Command(goCmd, "build", "-trimpath", "-ldflags=-s", "-o", kestrelBin.path, "./cmd/kestrel")
		cmd.Dir = rootDir
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			kestrelBin.err = fmt.Errorf("go build ./cmd/kestrel: %v\n%s", err, out)
		}
	})
	if kestrelBin.err != nil {
		t.Fatal(kestrelBin.err)
	}
	return kestrelBin.path
}

func TestMain(m *testing.M) {
	code := m.Run()
	removeImage()
	if kestrelBin.dir != "" {
		os.RemoveAll(kestrelBin.dir)
	}
	if podman.dir != "" {
		os.RemoveAll(podman.dir)
	}
	os.Exit(code)
}

var podman struct {
	once sync.Once
	dir  string
	env  []string
	err  error
}

// podmanEnv returns the environment podman needs on hosts like CI's:
// CONTAINERS_CONF as set, or a configuration with runc when it is
// installed (crun cannot run on a hybrid cgroup host) and default limits
// within the hard ones (without CAP_SYS_RESOURCE podman cannot raise them).
func podmanEnv(t *testing.T) []string {
	t.Helper()
	if os.Getenv("CONTAINERS_CONF") != "" {
		return nil
	}
	podman.once.Do(func() {
		var nofile, nproc syscall.Rlimit
		syscall.Getrlimit(syscall.RLIMIT_NOFILE, &nofile)
		syscall.Getrlimit(6 /* RLIMIT_NPROC */, &nproc)
		np := min(nproc.Max, 32768) // conmon's own hard limit, where podman starts it
		conf := fmt.Sprintf("[containers]\ndefault_ulimits = [\"nofile=%d:%d\", \"nproc=%d:%d\"]\n", nofile.Max, nofile.Max, np, np)
		if _, err := exec.LookPath("runc"); err == nil {
			conf += "[engine]\nruntime = \"runc\"\n"
		}
		if podman.dir, podman.err = os.MkdirTemp("", "kestrel-deploy-podman"); podman.err != nil {
			return
		}
		p := filepath.Join(podman.dir, "containers.conf")
		podman.err = os.WriteFile(p, []byte(conf), 0o644)
		podman.env = []string{"CONTAINERS_CONF=" + p}
	})
	if podman.err != nil {
		t.Fatal(podman.err)
	}
	return podman.env
}
