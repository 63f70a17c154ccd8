package deploy

import (
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/common/util"
	"helm.sh/helm/v4/pkg/chart/v2/lint/support"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/engine"
	"helm.sh/helm/v4/pkg/strvals"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// rendering is the chart rendered with some values.
type rendering struct {
	objects
	notes string
}

// setValues parses --set style assignments.
func setValues(t *testing.T, sets ...string) map[string]any {
	t.Helper()
	vals := map[string]any{}
	for _, s := range sets {
		if err := strvals.ParseInto(s, vals); err != nil {
			t.Fatalf("--set %s: %v", s, err)
		}
	}
	return vals
}

// renderChart renders the chart as 'helm template NAME -n NS' would.
func renderChart(name, namespace string, vals map[string]any) (map[string]string, error) {
	ch, err := loader.Load(chartDir)
	if err != nil {
		return nil, err
	}
	rv, err := util.ToRenderValues(ch, vals, common.ReleaseOptions{Name: name, Namespace: namespace, IsInstall: true, Revision: 1}, nil)
	if err != nil {
		return nil, err
	}
	return engine.Engine{Strict: true}.Render(ch, rv)
}

// render renders the chart and decodes every document strictly.
func render(t *testing.T, name, namespace string, vals map[string]any) *rendering {
	t.Helper()
	files, err := renderChart(name, namespace, vals)
	if err != nil {
		t.Fatalf("rendering the chart: %v", err)
	}
	var names []string
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var r rendering
	for _, n := range names {
		switch {
		case strings.HasSuffix(n, "/NOTES.txt"):
			r.notes = files[n]
		case strings.HasSuffix(n, ".yaml"):
			if err := decodeStrict([]byte(files[n]), &r.objects); err != nil {
				t.Fatalf("%s: %v", n, err)
			}
		case strings.HasSuffix(n, ".tpl"):
		default:
			t.Errorf("unexpected template %s", n)
		}
	}
	return &r
}

// TestChartLint runs Helm's linter on the chart, strict, with default
// values and with overrides.
func TestChartLint(t *testing.T) {
	kv, err := common.ParseKubeVersion("v1.36.0")
	if err != nil {
		t.Fatal(err)
	}
	for _, vals := range []map[string]any{nil, overrides(t)} {
		l := action.NewLint()
		l.Strict = true
		l.Namespace = "kestrel"
		l.KubeVersion = kv
		res := l.Run([]string{chartDir}, vals)
		for _, e := range res.Errors {
			t.Errorf("lint: %v", e)
		}
		for _, m := range res.Messages {
			if m.Severity >= support.WarningSev {
				t.Errorf("lint: %v", m)
			}
		}
	}
}

// TestChartDefaults renders the chart with its default values.
func TestChartDefaults(t *testing.T) {
	r := render(t, "kestrel", "kestrel", nil)
	if len(r.Namespaces) != 0 {
		t.Errorf("a Namespace is rendered by default")
	}
	one(t, "Service", r.Services)
	checkObjects(t, &r.objects, manifestExpect)
	cm := one(t, "ConfigMap", r.ConfigMaps)
	checkWebserver(t, kestrelConfig(t, cm), 8765)
	validateConfig(t, one(t, "DaemonSet", r.DaemonSets), cm)
	if !strings.Contains(r.notes, "daemonset/kestrel") || !strings.Contains(r.notes, "/metrics") {
		t.Errorf("NOTES.txt:\n%s", r.notes)
	}
}

// TestChartMatchesManifest checks that the plain manifest and the chart's
// default rendering (release kestrel in namespace kestrel) run the same
// pods with the same configuration, and expose them alike.
func TestChartMatchesManifest(t *testing.T) {
	m := manifest(t)
	r := render(t, "kestrel", "kestrel", nil)

	mds, rds := one(t, "DaemonSet", m.DaemonSets), one(t, "DaemonSet", r.DaemonSets)
	if d := cmp.Diff(mds.Spec.Template.Spec, rds.Spec.Template.Spec); d != "" {
		t.Errorf("pod spec: manifest (-) and chart (+) differ:\n%s", d)
	}
	if d := cmp.Diff(mds.Spec.Template.Labels, rds.Spec.Template.Labels); d != "" {
		t.Errorf("pod labels: manifest (-) and chart (+) differ:\n%s", d)
	}
	if d := cmp.Diff(mds.Spec.Selector, rds.Spec.Selector); d != "" {
		t.Errorf("selector: manifest (-) and chart (+) differ:\n%s", d)
	}
	if d := cmp.Diff(mds.Spec.UpdateStrategy, rds.Spec.UpdateStrategy); d != "" {
		t.Errorf("updateStrategy: manifest (-) and chart (+) differ:\n%s", d)
	}

	mcm, rcm := one(t, "ConfigMap", m.ConfigMaps), one(t, "ConfigMap", r.ConfigMaps)
	if d := cmp.Diff(kestrelConfig(t, mcm), kestrelConfig(t, rcm)); d != "" {
		t.Errorf("kestrel.yaml: manifest (-) and chart (+) differ:\n%s", d)
	}
	for k, v := range mcm.Data {
		if k != "kestrel.yaml" && rcm.Data[k] != v {
			t.Errorf("ConfigMap key %s: manifest and chart differ", k)
		}
	}
	if len(mcm.Data) != len(rcm.Data) {
		t.Errorf("ConfigMap keys: manifest %d, chart %d", len(mcm.Data), len(rcm.Data))
	}

	msvc, rsvc := one(t, "Service", m.Services), one(t, "Service", r.Services)
	if d := cmp.Diff(msvc.Spec, rsvc.Spec); d != "" {
		t.Errorf("Service: manifest (-) and chart (+) differ:\n%s", d)
	}
	if d := cmp.Diff(msvc.Annotations, rsvc.Annotations); d != "" {
		t.Errorf("Service annotations: manifest (-) and chart (+) differ:\n%s", d)
	}
}

// TestChartRules checks that the chart's default rules are those built
// into Kestrel.
func TestChartRules(t *testing.T) {
	got, err := os.ReadFile(chartDir + "/files/kestrel_rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(embeddedRules)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) == string(want) {
		return
	}
	if os.Getenv(updateRules) != "1" {
		t.Fatalf("%s/files/kestrel_rules.yaml differs from %s: %s=1 go test -run Rules copies it in", chartDir, embeddedRules, updateRules)
	}
	if err := os.WriteFile(chartDir+"/files/kestrel_rules.yaml", want, 0o644); err != nil {
		t.Fatal(err)
	}
}

// extraRule is a rule of the operator's, which appends to a default list.
const extraRule = `- list: kestrel_shells
  items: [fish]
  override:
    items: append

- rule: Crontab opened for writing
  desc: A process opened a crontab for writing.
  condition: evt.type in (open, openat, openat2) and evt.is_open_write=true and fd.name startswith /etc/cron
  output: Crontab opened for writing (file=%fd.name command=%proc.cmdline)
  priority: WARNING
  tags: [filesystem]
`

// overrides are values an operator might set.
func overrides(t *testing.T) map[string]any {
	vals := setValues(t,
		"image.repository=registry.example.com/sec/kestrel",
		"image.tag=1.2.3",
		"namespace.create=true",
		"priorityClassName=system-node-critical",
		"capabilities.memlock=true",
		"capabilities.extra={CAP_NET_ADMIN}",
		"runtimeSockets[0].name=containerd",
		"runtimeSockets[0].path=/run/containerd/containerd.sock",
		"service.enabled=false",
		"config.priority=warning",
		"config.webserver.listen_port=9100",
		"config.http_output.enabled=true",
		"config.http_output.url=http://falcosidekick.falco:2801/",
		"nodeSelector.role=worker",
		"resources.limits.memory=2Gi",
		"extraArgs={--ring-size,16}",
	)
	// A list given whole replaces the default one, as with helm --set.
	vals["tolerations"] = []any{map[string]any{"operator": "Exists"}}
	vals["rules"] = map[string]any{"custom": map[string]any{"cron_rules.yaml": extraRule}}
	return vals
}

// TestChartOverrides renders the chart with values an operator might set
// and checks that each reaches the objects, and that Kestrel accepts the
// configuration and rules that result.
func TestChartOverrides(t *testing.T) {
	r := render(t, "sec", "security", overrides(t))
	ns := one(t, "Namespace", r.Namespaces)
	if ns.Name != "security" || ns.Labels["pod-security.kubernetes.io/enforce"] != "privileged" {
		t.Errorf("Namespace %q labels %v", ns.Name, ns.Labels)
	}
	if len(r.Services) != 0 {
		t.Errorf("service.enabled=false renders a Service")
	}
	checkObjects(t, &r.objects, expect{
		namespace: "security",
		image:     "registry.example.com/sec/kestrel:1.2.3",
		caps:      append(slices.Clone(defaultCaps), "SYS_RESOURCE", "NET_ADMIN"),
		sockets:   []string{"/run/containerd/containerd.sock"},
		port:      9100,
		hostRoot:  "/host",
	})
	ds := one(t, "DaemonSet", r.DaemonSets)
	if ds.Name != "sec-kestrel" {
		t.Errorf("DaemonSet %q, want sec-kestrel", ds.Name)
	}
	p := ds.Spec.Template.Spec
	if p.PriorityClassName != "system-node-critical" {
		t.Errorf("priorityClassName %q", p.PriorityClassName)
	}
	if p.NodeSelector["role"] != "worker" || p.NodeSelector["kubernetes.io/os"] != "linux" {
		t.Errorf("nodeSelector %v", p.NodeSelector)
	}
	c := p.Containers[0]
	if lim := c.Resources.Limits[corev1.ResourceMemory]; lim.String() != "2Gi" {
		t.Errorf("memory limit %s", lim.String())
	}
	if !slices.Equal(c.Args[len(c.Args)-2:], []string{"--ring-size", "16"}) {
		t.Errorf("args %q: extraArgs missing", c.Args)
	}

	cm := one(t, "ConfigMap", r.ConfigMaps)
	cfg := kestrelConfig(t, cm)
	checkWebserver(t, cfg, 9100)
	if cfg["priority"] != "warning" || cfg["json_output"] != true {
		t.Errorf("config: priority %v, json_output %v: the override is not merged into the defaults", cfg["priority"], cfg["json_output"])
	}
	if h, _ := cfg["http_output"].(map[string]any); h["url"] != "http://falcosidekick.falco:2801/" || h["ca_path"] != "/host/etc/ssl/certs" {
		t.Errorf("http_output %v", h)
	}
	// Maps of values merge with the chart's: local_rules.yaml stays.
	if _, ok := cm.Data["local_rules.yaml"]; !ok {
		t.Errorf("rules.custom: the default local_rules.yaml is gone")
	}
	if cm.Data["cron_rules.yaml"] != extraRule {
		t.Errorf("cron_rules.yaml:\n%s", cm.Data["cron_rules.yaml"])
	}
	out := validateConfig(t, ds, cm)
	if !strings.Contains(out, "rules files (2)") {
		t.Errorf("want the default and the custom rules files checked:\n%s", out)
	}
	if strings.Contains(r.notes, "port-forward") {
		t.Errorf("NOTES.txt speaks of the Service, which is off:\n%s", r.notes)
	}
}

// TestChartSeccompDefault checks that the seccomp profile can be set to
// the runtime's default, for nodes whose runtime allows bpf() with CAP_BPF.
func TestChartSeccompDefault(t *testing.T) {
	r := render(t, "kestrel", "kestrel", setValues(t, "seccompProfile.type=RuntimeDefault"))
	sc := one(t, "DaemonSet", r.DaemonSets).Spec.Template.Spec.Containers[0].SecurityContext
	if sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("seccompProfile %+v", sc.SeccompProfile)
	}
}

// TestChartRefuses checks the values the chart refuses, with a message.
func TestChartRefuses(t *testing.T) {
	for _, c := range []struct {
		name string
		vals map[string]any
		want string
	}{
		{"no rules", map[string]any{"rules": map[string]any{"default": false, "custom": map[string]any{"local_rules.yaml": nil}}}, "no rules to run"},
		{"not yaml", map[string]any{"rules": map[string]any{"custom": map[string]any{"rules.txt": "[]"}}}, "ends in .yaml or .yml"},
		{"clash", map[string]any{"rules": map[string]any{"custom": map[string]any{"kestrel.yaml": "[]"}}}, "the chart's own file"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := renderChart("kestrel", "kestrel", c.vals)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error saying %q", err, c.want)
			}
		})
	}
}

// TestChartValuesDocumented checks that every value of values.yaml has a
// comment above it or above its section.
func TestChartValuesDocumented(t *testing.T) {
	data, err := os.ReadFile(chartDir + "/values.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var vals map[string]any
	if err := yaml.UnmarshalStrict(data, &vals); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	for i, l := range lines {
		if l == "" || strings.HasPrefix(l, " ") || strings.HasPrefix(l, "#") {
			continue
		}
		if i == 0 || !strings.HasPrefix(lines[i-1], "#") {
			t.Errorf("values.yaml:%d: %s has no comment", i+1, l)
		}
	}
}
