package deploy

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// strict decodes YAML as the API server does with fieldValidation=Strict:
// a field the type does not have (names are case-sensitive), a field given
// twice or a value of the wrong type is an error.
var strict = func() *json.Serializer {
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, appsv1.AddToScheme} {
		if err := add(scheme); err != nil {
			panic(err)
		}
	}
	return json.NewSerializerWithOptions(json.DefaultMetaFactory, scheme, scheme, json.SerializerOptions{Yaml: true, Strict: true})
}()

// objects are the Kubernetes objects of one manifest, decoded strictly.
type objects struct {
	Namespaces      []*corev1.Namespace
	ServiceAccounts []*corev1.ServiceAccount
	ConfigMaps      []*corev1.ConfigMap
	DaemonSets      []*appsv1.DaemonSet
	Services        []*corev1.Service
}

// decodeStrict decodes every document of a manifest into its Kubernetes
// API type: a kind the deployment does not use, a field the type does not
// have, a duplicate field or a value of the wrong type is an error.
func decodeStrict(data []byte, o *objects) error {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for n := 1; ; n++ {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("document %d: %v", n, err)
		}
		var head map[string]any
		if err := yaml.Unmarshal(doc, &head); err != nil {
			return fmt.Errorf("document %d: %v", n, err)
		}
		if len(head) == 0 {
			continue // comments only
		}
		var into any
		switch kind := fmt.Sprintf("%v/%v", head["apiVersion"], head["kind"]); kind {
		case "v1/Namespace":
			v := new(corev1.Namespace)
			o.Namespaces, into = append(o.Namespaces, v), v
		case "v1/ServiceAccount":
			v := new(corev1.ServiceAccount)
			o.ServiceAccounts, into = append(o.ServiceAccounts, v), v
		case "v1/ConfigMap":
			v := new(corev1.ConfigMap)
			o.ConfigMaps, into = append(o.ConfigMaps, v), v
		case "apps/v1/DaemonSet":
			v := new(appsv1.DaemonSet)
			o.DaemonSets, into = append(o.DaemonSets, v), v
		case "v1/Service":
			v := new(corev1.Service)
			o.Services, into = append(o.Services, v), v
		default:
			return fmt.Errorf("document %d: unexpected kind %s", n, kind)
		}
		if _, _, err := strict.Decode(doc, nil, into.(runtime.Object)); err != nil {
			return fmt.Errorf("document %d (%v %v): %v", n, head["kind"], nameOf(head), err)
		}
	}
}

func nameOf(head map[string]any) any {
	if m, ok := head["metadata"].(map[string]any); ok {
		return m["name"]
	}
	return nil
}

// one returns the single object of a kind, failing the test otherwise.
func one[T any](t *testing.T, kind string, list []*T) *T {
	t.Helper()
	if len(list) != 1 {
		t.Fatalf("want one %s, have %d", kind, len(list))
	}
	return list[0]
}

// expect describes what a rendering of the DaemonSet must hold.
type expect struct {
	namespace string
	image     string
	caps      []string // exactly the added capabilities, in order
	sockets   []string // the runtime sockets mounted, host paths
	port      int32    // the web server's port
	hostRoot  string
}

// defaultCaps are the capabilities 'kestrel run' checks for on kernels
// from 5.11 on (driver/ebpf/caps.go).
var defaultCaps = []string{"BPF", "PERFMON", "SYS_PTRACE", "DAC_READ_SEARCH"}

// defaultSockets are the runtime sockets mounted by default.
var defaultSockets = []string{
	"/run/containerd/containerd.sock",
	"/var/run/docker.sock",
	"/run/crio/crio.sock",
	"/run/podman/podman.sock",
	"/run/k3s/containerd/containerd.sock",
}

// checkObjects checks the objects every rendering has: the DaemonSet, its
// ConfigMap and service account, the Service when there is one, and that
// they refer to each other.
func checkObjects(t *testing.T, o *objects, want expect) {
	t.Helper()
	ds := one(t, "DaemonSet", o.DaemonSets)
	cm := one(t, "ConfigMap", o.ConfigMaps)
	sa := one(t, "ServiceAccount", o.ServiceAccounts)
	for _, m := range []struct {
		kind, ns string
	}{{"DaemonSet", ds.Namespace}, {"ConfigMap", cm.Namespace}, {"ServiceAccount", sa.Namespace}} {
		if m.ns != want.namespace {
			t.Errorf("%s in namespace %q, want %q", m.kind, m.ns, want.namespace)
		}
	}
	if sa.AutomountServiceAccountToken == nil || *sa.AutomountServiceAccountToken {
		t.Errorf("service account mounts a token")
	}
	checkDaemonSet(t, ds, cm, sa, want)
	for _, svc := range o.Services {
		checkService(t, svc, ds, want)
	}
}

func checkDaemonSet(t *testing.T, ds *appsv1.DaemonSet, cm *corev1.ConfigMap, sa *corev1.ServiceAccount, want expect) {
	t.Helper()
	sel, err := metav1LabelSelector(ds)
	if err != nil {
		t.Fatal(err)
	}
	if !sel.Matches(labels.Set(ds.Spec.Template.Labels)) {
		t.Errorf("selector %v does not match the pod labels %v", sel, ds.Spec.Template.Labels)
	}
	if ds.Spec.UpdateStrategy.Type != appsv1.RollingUpdateDaemonSetStrategyType {
		t.Errorf("updateStrategy %q, want RollingUpdate", ds.Spec.UpdateStrategy.Type)
	}
	p := ds.Spec.Template.Spec
	if !p.HostPID {
		t.Errorf("hostPID is not set")
	}
	if p.HostNetwork || p.HostIPC || (p.HostUsers != nil && !*p.HostUsers) {
		t.Errorf("hostNetwork %v, hostIPC %v, hostUsers %v: want only hostPID", p.HostNetwork, p.HostIPC, p.HostUsers)
	}
	if p.ServiceAccountName != sa.Name {
		t.Errorf("serviceAccountName %q, want %q", p.ServiceAccountName, sa.Name)
	}
	if p.AutomountServiceAccountToken == nil || *p.AutomountServiceAccountToken {
		t.Errorf("the pod mounts a service account token")
	}
	if g := p.TerminationGracePeriodSeconds; g == nil || *g <= 5 {
		t.Errorf("terminationGracePeriodSeconds %v, want more than Kestrel's 5 s drain", g)
	}
	if len(p.Tolerations) != 1 || p.Tolerations[0].Operator != corev1.TolerationOpExists || p.Tolerations[0].Key != "" || p.Tolerations[0].Effect != "" {
		t.Errorf("tolerations %+v, want one that tolerates every taint", p.Tolerations)
	}
	if len(p.InitContainers) != 0 || len(p.Containers) != 1 {
		t.Fatalf("want one container, have %d and %d init containers", len(p.Containers), len(p.InitContainers))
	}
	c := p.Containers[0]
	if c.Image != want.image {
		t.Errorf("image %q, want %q", c.Image, want.image)
	}
	if len(c.Command) != 0 {
		t.Errorf("command %q replaces the image's entrypoint", c.Command)
	}
	if len(c.Args) < 5 || c.Args[0] != "run" || !slices.Equal(c.Args[1:5], []string{"--config", "/etc/kestrel/kestrel.yaml", "--hostname", "$(NODE_NAME)"}) {
		t.Errorf("args %q, want run --config /etc/kestrel/kestrel.yaml --hostname $(NODE_NAME)", c.Args)
	}
	checkEnv(t, c, want)
	checkSecurity(t, c, want)
	checkProbes(t, c, want)
	checkResources(t, c)
	checkMounts(t, p, c, cm, want)
}

func metav1LabelSelector(ds *appsv1.DaemonSet) (labels.Selector, error) {
	if ds.Spec.Selector == nil || len(ds.Spec.Selector.MatchLabels) == 0 {
		return nil, errors.New("the DaemonSet has no selector")
	}
	return labels.SelectorFromSet(ds.Spec.Selector.MatchLabels), nil
}

func checkEnv(t *testing.T, c corev1.Container, want expect) {
	t.Helper()
	env := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		env[e.Name] = e
	}
	if e := env["HOST_ROOT"]; e.Value != want.hostRoot {
		t.Errorf("HOST_ROOT=%q, want %q", e.Value, want.hostRoot)
	}
	if e := env["NODE_NAME"]; e.ValueFrom == nil || e.ValueFrom.FieldRef == nil || e.ValueFrom.FieldRef.FieldPath != "spec.nodeName" {
		t.Errorf("NODE_NAME is not the node's name: %+v", e)
	}
}

func checkSecurity(t *testing.T, c corev1.Container, want expect) {
	t.Helper()
	sc := c.SecurityContext
	if sc == nil {
		t.Fatal("no securityContext")
	}
	if sc.Privileged == nil || *sc.Privileged {
		t.Errorf("privileged: %v, want false", sc.Privileged)
	}
	if sc.RunAsUser == nil || *sc.RunAsUser != 0 {
		t.Errorf("runAsUser %v, want 0 (added capabilities are effective for root alone)", sc.RunAsUser)
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Errorf("allowPrivilegeEscalation %v, want false", sc.AllowPrivilegeEscalation)
	}
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Errorf("readOnlyRootFilesystem %v, want true", sc.ReadOnlyRootFilesystem)
	}
	if sc.ProcMount != nil && *sc.ProcMount != corev1.DefaultProcMount {
		t.Errorf("procMount %v, want the default", *sc.ProcMount)
	}
	if sc.Capabilities == nil {
		t.Fatal("no capabilities")
	}
	if drop := sc.Capabilities.Drop; len(drop) != 1 || drop[0] != "ALL" {
		t.Errorf("capabilities.drop %v, want [ALL]", drop)
	}
	var add []string
	for _, c := range sc.Capabilities.Add {
		add = append(add, string(c))
	}
	if !slices.Equal(add, want.caps) {
		t.Errorf("capabilities.add %v, want exactly %v", add, want.caps)
	}
	// The runtimes' default seccomp profiles deny bpf() without
	// CAP_SYS_ADMIN; their AppArmor profiles deny reading other
	// processes' /proc links.
	if sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeUnconfined {
		t.Errorf("seccompProfile %+v, want Unconfined", sc.SeccompProfile)
	}
	if sc.AppArmorProfile == nil || sc.AppArmorProfile.Type != corev1.AppArmorProfileTypeUnconfined {
		t.Errorf("appArmorProfile %+v, want Unconfined", sc.AppArmorProfile)
	}
}

func checkProbes(t *testing.T, c corev1.Container, want expect) {
	t.Helper()
	if len(c.Ports) != 1 || c.Ports[0].ContainerPort != want.port || c.Ports[0].Name != "http" {
		t.Errorf("ports %+v, want http %d", c.Ports, want.port)
	}
	for name, p := range map[string]*corev1.Probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe, "startup": c.StartupProbe} {
		if p == nil || p.HTTPGet == nil {
			t.Errorf("%s probe: none, or not HTTP", name)
			continue
		}
		if p.HTTPGet.Path != "/healthz" || p.HTTPGet.Port.IntValue() != int(want.port) {
			t.Errorf("%s probe on %s:%s, want /healthz:%d", name, p.HTTPGet.Path, p.HTTPGet.Port.String(), want.port)
		}
	}
}

func checkResources(t *testing.T, c corev1.Container) {
	t.Helper()
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, okReq := c.Resources.Requests[r]
		lim, okLim := c.Resources.Limits[r]
		if !okReq || !okLim {
			t.Errorf("%s: request %v, limit %v: want both", r, okReq, okLim)
			continue
		}
		if req.Cmp(lim) > 0 {
			t.Errorf("%s: request %s above limit %s", r, req.String(), lim.String())
		}
	}
	// The probe's rings alone take 8 MiB per CPU, up to 16 rings.
	if lim := c.Resources.Limits[corev1.ResourceMemory]; lim.Cmp(resource.MustParse("512Mi")) < 0 {
		t.Errorf("memory limit %s: too small for the probe's rings and the host model", lim.String())
	}
}

// checkMounts checks every mount: read-only, from where it should come,
// nothing of the host's but /etc, the BTF, tracefs and the sockets.
func checkMounts(t *testing.T, p corev1.PodSpec, c corev1.Container, cm *corev1.ConfigMap, want expect) {
	t.Helper()
	vols := map[string]corev1.Volume{}
	for _, v := range p.Volumes {
		vols[v.Name] = v
	}
	hostPaths := map[string]string{} // mount path -> host path
	var config *corev1.ConfigMapVolumeSource
	for _, m := range c.VolumeMounts {
		if !m.ReadOnly {
			t.Errorf("mount %s is writable", m.MountPath)
		}
		if m.SubPath != "" || m.SubPathExpr != "" {
			t.Errorf("mount %s uses a subPath: ConfigMap updates would not reach it", m.MountPath)
		}
		v, ok := vols[m.Name]
		if !ok {
			t.Errorf("mount %s: no volume %q", m.MountPath, m.Name)
			continue
		}
		switch {
		case v.HostPath != nil:
			hostPaths[m.MountPath] = v.HostPath.Path
		case v.ConfigMap != nil && m.MountPath == "/etc/kestrel":
			config = v.ConfigMap
		default:
			t.Errorf("mount %s: unexpected volume %+v", m.MountPath, v.VolumeSource)
		}
	}
	wantHost := map[string]string{
		want.hostRoot + "/etc": "/etc",
		"/sys/kernel/btf":      "/sys/kernel/btf",
		"/sys/kernel/tracing":  "/sys/kernel/tracing",
	}
	for _, s := range want.sockets {
		wantHost[want.hostRoot+s] = s
	}
	for mp, hp := range hostPaths {
		if wantHost[mp] != hp {
			t.Errorf("host path %s mounted at %s: unexpected", hp, mp)
		}
	}
	for mp, hp := range wantHost {
		if hostPaths[mp] != hp {
			t.Errorf("host path %s is not mounted at %s (have %q)", hp, mp, hostPaths[mp])
		}
	}
	for _, v := range p.Volumes {
		if v.HostPath != nil && v.HostPath.Path == "/proc" {
			t.Errorf("the host's /proc is mounted: with hostPID the container's own /proc is the host's")
		}
	}
	if config == nil {
		t.Fatal("no ConfigMap volume at /etc/kestrel")
	}
	if config.Name != cm.Name {
		t.Errorf("config volume names ConfigMap %q, want %q", config.Name, cm.Name)
	}
	paths := map[string]bool{}
	for _, it := range config.Items {
		if _, ok := cm.Data[it.Key]; !ok {
			t.Errorf("config volume item %q: no such key in the ConfigMap", it.Key)
		}
		paths[it.Path] = true
	}
	if !paths["kestrel.yaml"] {
		t.Errorf("config volume items %+v: no kestrel.yaml", config.Items)
	}
	if len(config.Items) != len(cm.Data) {
		t.Errorf("config volume has %d items, the ConfigMap %d keys", len(config.Items), len(cm.Data))
	}
}

func checkService(t *testing.T, svc *corev1.Service, ds *appsv1.DaemonSet, want expect) {
	t.Helper()
	if svc.Namespace != want.namespace {
		t.Errorf("Service in namespace %q, want %q", svc.Namespace, want.namespace)
	}
	if !labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(ds.Spec.Template.Labels)) || len(svc.Spec.Selector) == 0 {
		t.Errorf("Service selector %v does not select the pods (%v)", svc.Spec.Selector, ds.Spec.Template.Labels)
	}
	if len(svc.Spec.Ports) != 1 {
		t.Fatalf("Service ports %+v, want one", svc.Spec.Ports)
	}
	sp := svc.Spec.Ports[0]
	if sp.TargetPort.String() != "http" && sp.TargetPort.IntValue() != int(want.port) {
		t.Errorf("Service targets %s, want the pods' web server", sp.TargetPort.String())
	}
}

// configFiles lays the ConfigMap's files out in dir as the DaemonSet's
// config volume mounts them at /etc/kestrel and returns kestrel.yaml's
// path; with relocate, the configuration's paths under /etc/kestrel are
// moved to dir.
func configFiles(t *testing.T, p corev1.PodSpec, cm *corev1.ConfigMap, dir string, relocate bool) string {
	t.Helper()
	for _, v := range p.Volumes {
		if v.ConfigMap == nil || v.ConfigMap.Name != cm.Name {
			continue
		}
		for _, it := range v.ConfigMap.Items {
			text := cm.Data[it.Key]
			if it.Key == "kestrel.yaml" && relocate {
				text = strings.ReplaceAll(text, "/etc/kestrel/", dir+"/")
			}
			p := filepath.Join(dir, it.Path)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return filepath.Join(dir, "kestrel.yaml")
}

// validateConfig runs 'kestrel config validate' on the ConfigMap's
// kestrel.yaml, with the rules files it names, as the pod sees them.
func validateConfig(t *testing.T, ds *appsv1.DaemonSet, cm *corev1.ConfigMap) string {
	t.Helper()
	bin := kestrel(t)
	cfg := configFiles(t, ds.Spec.Template.Spec, cm, t.TempDir(), true)
	out, err := run(nil, bin, "config", "validate", cfg)
	if err != nil {
		t.Fatalf("kestrel rejects the ConfigMap's configuration: %v", err)
	}
	if !strings.Contains(out, "0 errors, 0 warnings") {
		t.Errorf("kestrel config validate: %s", out)
	}
	return out
}

// kestrelConfig returns the ConfigMap's kestrel.yaml, decoded.
func kestrelConfig(t *testing.T, cm *corev1.ConfigMap) map[string]any {
	t.Helper()
	var cfg map[string]any
	if err := yaml.Unmarshal([]byte(cm.Data["kestrel.yaml"]), &cfg); err != nil {
		t.Fatalf("kestrel.yaml: %v", err)
	}
	return cfg
}

// webserver checks the configuration's web server: on every address of
// the pod, on port, with Prometheus metrics.
func checkWebserver(t *testing.T, cfg map[string]any, port int) {
	t.Helper()
	ws, _ := cfg["webserver"].(map[string]any)
	if ws["listen_address"] != "0.0.0.0" {
		t.Errorf("webserver.listen_address %v, want 0.0.0.0 (probes and the Service come from outside the pod)", ws["listen_address"])
	}
	if fmt.Sprint(ws["listen_port"]) != fmt.Sprint(port) {
		t.Errorf("webserver.listen_port %v, want %d", ws["listen_port"], port)
	}
	if ws["prometheus_metrics_enabled"] != true {
		t.Errorf("webserver.prometheus_metrics_enabled %v, want true", ws["prometheus_metrics_enabled"])
	}
	if m, _ := cfg["metrics"].(map[string]any); m["enabled"] != true {
		t.Errorf("metrics.enabled %v: /metrics needs it", m["enabled"])
	}
}
