package deploy

import (
	"os"
	"strings"
	"testing"
)

// manifest decodes deploy/kubernetes/kestrel.yaml strictly.
func manifest(t *testing.T) *objects {
	t.Helper()
	data, err := os.ReadFile(manifestPath)
	if err != nil {
		t.Fatal(err)
	}
	var o objects
	if err := decodeStrict(data, &o); err != nil {
		t.Fatalf("%s: %v", manifestPath, err)
	}
	return &o
}

var manifestExpect = expect{
	namespace: "kestrel",
	image:     "localhost/kestrel:latest",
	caps:      defaultCaps,
	sockets:   defaultSockets,
	port:      8765,
	hostRoot:  "/host",
}

// TestManifest checks deploy/kubernetes/kestrel.yaml: every document is a
// valid Kubernetes object, and the DaemonSet runs Kestrel as intended.
func TestManifest(t *testing.T) {
	o := manifest(t)
	ns := one(t, "Namespace", o.Namespaces)
	if ns.Name != "kestrel" {
		t.Errorf("namespace %q", ns.Name)
	}
	if ns.Labels["pod-security.kubernetes.io/enforce"] != "privileged" {
		t.Errorf("namespace labels %v: the pods need the privileged Pod Security level", ns.Labels)
	}
	one(t, "Service", o.Services)
	checkObjects(t, o, manifestExpect)
	cm := one(t, "ConfigMap", o.ConfigMaps)
	checkWebserver(t, kestrelConfig(t, cm), 8765)
}

// TestManifestRules checks that the manifest's default rules are those
// built into Kestrel.
func TestManifestRules(t *testing.T) {
	cm := one(t, "ConfigMap", manifest(t).ConfigMaps)
	want, err := os.ReadFile(embeddedRules)
	if err != nil {
		t.Fatal(err)
	}
	if cm.Data["kestrel_rules.yaml"] == string(want) {
		return
	}
	if os.Getenv(updateRules) != "1" {
		t.Fatalf("the ConfigMap's kestrel_rules.yaml differs from %s: %s=1 go test -run Rules copies it in", embeddedRules, updateRules)
	}
	data, err := os.ReadFile(manifestPath)
	if err != nil {
		t.Fatal(err)
	}
	const start, end = "  kestrel_rules.yaml: |\n", "  # Local rules"
	i := strings.Index(string(data), start)
	j := strings.Index(string(data), end)
	if i < 0 || j < i {
		t.Fatalf("%s: no kestrel_rules.yaml block followed by %q", manifestPath, end)
	}
	var b strings.Builder
	b.WriteString(string(data[:i+len(start)]))
	for _, l := range strings.SplitAfter(strings.TrimSuffix(string(want), "\n"), "\n") {
		if strings.TrimSpace(l) != "" {
			b.WriteString("    ")
		}
		b.WriteString(l)
	}
	b.WriteString("\n")
	b.WriteString(string(data[j:]))
	if err := os.WriteFile(manifestPath, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// updateRules names the variable that makes the rules tests copy
// Kestrel's default rules into the manifest and the chart.
const updateRules = "KESTREL_UPDATE_RULES"

// TestManifestConfigValid runs Kestrel on the manifest's configuration.
func TestManifestConfigValid(t *testing.T) {
	o := manifest(t)
	cm := one(t, "ConfigMap", o.ConfigMaps)
	out := validateConfig(t, one(t, "DaemonSet", o.DaemonSets), cm)
	if !strings.Contains(out, "rules files (2)") {
		t.Errorf("want the default and the local rules files checked:\n%s", out)
	}
}
