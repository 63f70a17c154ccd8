package docker

import (
	"encoding/json"

	"github.com/moby/moby/api/types/container"

	"github.com/kestrel-sec/kestrel/state"
)

// labelLastApplied holds, on containers that kubelet runs through
// Docker, the pod as `kubectl apply` last wrote it: the pod's annotations
// become labels prefixed "annotation.".
const labelLastApplied = "annotation.kubectl.kubernetes.io/last-applied-configuration"

// podSpec is what the last-applied configuration tells of probes.
type podSpec struct {
	Spec *struct {
		Containers []podContainer `json:"containers"`
	} `json:"spec"`
}

type podContainer struct {
	LivenessProbe  *execProbe `json:"livenessProbe"`
	ReadinessProbe *execProbe `json:"readinessProbe"`
}

type execProbe struct {
	Exec *struct {
		Command []string `json:"command"`
	} `json:"exec"`
}

// probes returns the container's health probes: the liveness probe of
// the pod's first container in the last-applied configuration, else its
// readiness probe (exec probes only); the image's health check only when
// neither is there.
func probes(cfg *container.Config) [3]state.Probe {
	var ps [3]state.Probe
	if pc, ok := lastApplied(cfg); ok {
		switch {
		case pc.LivenessProbe != nil:
			ps[state.ProbeLiveness] = pc.LivenessProbe.probe()
		case pc.ReadinessProbe != nil:
			ps[state.ProbeReadiness] = pc.ReadinessProbe.probe()
		}
	}
	if !ps[state.ProbeLiveness].Set && !ps[state.ProbeReadiness].Set {
		ps[state.ProbeHealthcheck] = healthcheck(cfg.Healthcheck)
	}
	return ps
}

// inheritProbes gives a pod's container that has no last-applied
// configuration of its own the probes of its sandbox, which carries the
// pod's annotations.
func inheritProbes(rec, sb *state.Container, cfg *container.Config) {
	if cfg == nil {
		return
	}
	if _, ok := lastApplied(cfg); ok {
		return
	}
	for _, p := range sb.Probes {
		if p.Set {
			rec.Probes = sb.Probes
			return
		}
	}
}

// lastApplied returns the first container of the pod in the container's
// last-applied configuration label.
func lastApplied(cfg *container.Config) (podContainer, bool) {
	s := cfg.Labels[labelLastApplied]
	if s == "" {
		return podContainer{}, false
	}
	var pod podSpec
	if err := json.Unmarshal([]byte(s), &pod); err != nil || pod.Spec == nil || pod.Spec.Containers == nil {
		return podContainer{}, false
	}
	if len(pod.Spec.Containers) == 0 {
		return podContainer{}, true
	}
	return pod.Spec.Containers[0], true
}

// probe returns an exec probe's command line; unset when it has none.
func (e *execProbe) probe() state.Probe {
	if e.Exec == nil || len(e.Exec.Command) == 0 {
		return state.Probe{}
	}
	cmd := e.Exec.Command
	p := state.Probe{Set: true, Exe: unquote(cmd[0])}
	for _, a := range cmd[1:] {
		p.Args = append(p.Args, unquote(a))
	}
	return p
}

// healthcheck returns the command line of an image's health check:
// ["CMD", exe, args…] as given, ["CMD-SHELL", cmd] as /bin/sh -c cmd;
// unset for none (["NONE"]) or any other form.
func healthcheck(h *container.HealthConfig) state.Probe {
	if h == nil || len(h.Test) < 2 {
		return state.Probe{}
	}
	switch h.Test[0] {
	case "CMD":
		p := state.Probe{Set: true, Exe: unquote(h.Test[1])}
		for _, a := range h.Test[2:] {
			p.Args = append(p.Args, unquote(a))
		}
		return p
	case "CMD-SHELL":
		return state.Probe{Set: true, Exe: "/bin/sh", Args: []string{"-c", h.Test[1]}}
	}
	return state.Probe{}
}

// unquote removes matching pairs of quotes (" or ') around an argument.
func unquote(s string) string {
	for len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		s = s[1 : len(s)-1]
	}
	return s
}
