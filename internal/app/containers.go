package app

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kestrel-sec/kestrel/containers"
	"github.com/kestrel-sec/kestrel/containers/containerd"
	"github.com/kestrel-sec/kestrel/containers/cri"
	"github.com/kestrel-sec/kestrel/containers/docker"
	"github.com/kestrel-sec/kestrel/internal/config"
	"github.com/kestrel-sec/kestrel/internal/metrics"
	"github.com/kestrel-sec/kestrel/state"
)

// hostRoot returns where the host's root is mounted: the configuration's
// container_engines.host_root, else $HOST_ROOT (Falco's variable), else "".
func hostRoot(ce config.ContainerEngines) string {
	if ce.HostRoot != "" {
		return ce.HostRoot
	}
	return os.Getenv("HOST_ROOT")
}

// etcRoot returns the host's /etc: the one given, else below the host
// root.
func etcRoot(given string, ce config.ContainerEngines) string {
	if given != "" {
		return given
	}
	return filepath.Join("/", hostRoot(ce), "etc")
}

// runtimeSocket is one socket of one runtime to open.
type runtimeSocket struct {
	engine string
	path   string
	open   func(ctx context.Context, path string) (containers.Runtime, error)
}

// runtimeSockets lists the sockets of the runtimes ce enables, below the
// host root.
func runtimeSockets(ce config.ContainerEngines) []runtimeSocket {
	timeout := time.Duration(ce.LookupTimeout)
	dockerAPI := func(t state.ContainerType) func(context.Context, string) (containers.Runtime, error) {
		return func(ctx context.Context, path string) (containers.Runtime, error) {
			return docker.Open(ctx, docker.Options{Socket: path, Engine: t, Timeout: timeout})
		}
	}
	engines := []struct {
		name string
		e    config.Engine
		open func(context.Context, string) (containers.Runtime, error)
	}{
		{"docker", ce.Docker, dockerAPI(state.CTDocker)},
		{"podman", ce.Podman, dockerAPI(state.CTPodman)},
		{"containerd", ce.Containerd, func(ctx context.Context, path string) (containers.Runtime, error) {
			return containerd.Open(ctx, containerd.Options{Socket: path, Timeout: timeout})
		}},
		{"cri", ce.CRI, func(ctx context.Context, path string) (containers.Runtime, error) {
			return cri.Open(ctx, cri.Options{Socket: path, Timeout: timeout})
		}},
	}
	root := hostRoot(ce)
	var socks []runtimeSocket
	for _, en := range engines {
		if !en.e.Enabled {
			continue
		}
		for _, s := range en.e.Sockets {
			for _, p := range expandUIDs(root, s) {
				socks = append(socks, runtimeSocket{engine: en.name, path: p, open: en.open})
			}
		}
	}
	return socks
}

// expandUIDs returns the socket path below root; a path with %d (a
// rootless runtime's, /run/user/%d/podman/podman.sock) is given for each
// user with a runtime directory (/run/user/UID) at start.
func expandUIDs(root, sock string) []string {
	if !strings.Contains(sock, "%d") {
		return []string{filepath.Join("/", root, sock)}
	}
	dirs, _ := os.ReadDir(filepath.Join("/", root, "run", "user"))
	var out []string
	for _, d := range dirs {
		if uid, err := strconv.ParseUint(d.Name(), 10, 32); err == nil {
			out = append(out, filepath.Join("/", root, strings.ReplaceAll(sock, "%d", strconv.FormatUint(uid, 10))))
		}
	}
	return out
}

// openRuntimes opens, at once, the runtimes whose sockets exist. An
// absent runtime is skipped quietly; one that fails to answer is logged.
func openRuntimes(ctx context.Context, ce config.ContainerEngines, log *slog.Logger) []containers.Runtime {
	socks := runtimeSockets(ce)
	rts := make([]containers.Runtime, len(socks))
	var wg sync.WaitGroup
	for i, s := range socks {
		if _, err := os.Stat(s.path); err != nil {
			continue
		}
		wg.Go(func() {
			rt, err := s.open(ctx, s.path)
			switch {
			case errors.Is(err, containers.ErrUnavailable):
				log.Debug("container runtime not found", "engine", s.engine, "socket", s.path, "error", err)
			case err != nil:
				log.Warn("container runtime does not answer; its containers will have their ids only", "engine", s.engine, "socket", s.path, "error", err)
			default:
				rts[i] = rt
			}
		})
	}
	wg.Wait()
	var open []containers.Runtime
	for _, rt := range rts {
		if rt != nil {
			log.Info("asking container runtime", "runtime", rt.Name())
			open = append(open, rt)
		}
	}
	return open
}

// newContainerManager opens the runtimes ce enables and returns a manager
// over them, not started; nil when none answers.
func newContainerManager(ctx context.Context, ce config.ContainerEngines, log *slog.Logger) *containers.Manager {
	rts := openRuntimes(ctx, ce, log)
	if len(rts) == 0 {
		return nil
	}
	return containers.NewManager(rts, containers.Options{Timeout: time.Duration(ce.LookupTimeout), Log: log})
}

// containerStats converts the manager's counters for the metrics.
func containerStats(m *containers.Manager) metrics.ContainerStats {
	s := m.Stats()
	return metrics.ContainerStats{
		Runtimes: uint64(len(m.Runtimes())), Lookups: s.Lookups.Load(), NotFound: s.NotFound.Load(),
		Errors: s.Errors.Load(), Dropped: s.Dropped.Load(), Events: s.Events.Load(),
		Seconds: time.Duration(s.LatencyNanos.Load()).Seconds(),
	}
}
