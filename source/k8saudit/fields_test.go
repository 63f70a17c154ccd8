package k8saudit

import (
	"strings"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/field"
	"github.com/kestrel-sec/kestrel/filter"
	"github.com/kestrel-sec/kestrel/internal/srctest"
	"github.com/kestrel-sec/kestrel/rules"
)

// richPod is a pod creation touching every pod field.
func richPod(t *testing.T) []byte {
	pod := podSpec(
		map[string]any{"name": "web", "image": "docker.io/library/nginx:1.25@sha256:abc", "command": []any{"nginx", "-g"}, "args": []any{"daemon off;"},
			"ports": []any{map[string]any{"containerPort": 80, "hostPort": 8080}, map[string]any{"containerPort": 443}},
			"securityContext": map[string]any{"privileged": true, "allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true,
				"runAsUser": 1000, "runAsGroup": 3000, "procMount": "Unmasked", "capabilities": map[string]any{"add": []any{"NET_ADMIN", "SYS_TIME"}}}},
		map[string]any{"name": "side", "image": "busybox"},
	)
	spec := pod["spec"].(map[string]any)
	spec["hostNetwork"] = true
	spec["hostPID"] = false
	spec["securityContext"] = map[string]any{"runAsUser": 2000, "runAsGroup": 2001, "fsGroup": 2002, "supplementalGroups": []any{5, 6}}
	spec["volumes"] = []any{
		map[string]any{"name": "root", "hostPath": map[string]any{"path": "/", "type": "Directory"}},
		map[string]any{"name": "cfg", "configMap": map[string]any{"name": "c"}},
		map[string]any{"name": "fx", "flexVolume": map[string]any{"driver": "example/lvm"}},
	}
	spec["initContainers"] = []any{container("init", "alpine:3", map[string]any{"privileged": false})}
	ev := auditEvent("create", "pods", "default", "web", 201, map[string]any{
		"requestURI":               "/api/v1/namespaces/default/pods?fieldManager=kubectl-client-side-apply&dryRun=All%20x",
		"requestObject":            pod,
		"responseObject":           map[string]any{"metadata": map[string]any{"name": "web-1"}},
		"impersonatedUser":         map[string]any{"username": "bob"},
		"responseStatus.reason":    "Created",
		"annotations.cluster_name": "prod-eu",
	})
	ev["annotations"].(map[string]any)["pod-security.kubernetes.io/audit-violations"] = "privileged"
	return srctest.JSON(t, ev)
}

func TestFields(t *testing.T) {
	reg := Registry()
	var dec Decoder
	c := field.NewContext(nil)
	c.Location = time.UTC
	if err := dec.Decode(c, richPod(t), 1714557600123456000); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"ka.auditid":                                        "6f4a9c1e-2b7d-4e3a-9c55-0d1e2f3a4b5c",
		"ka.stage":                                          "ResponseComplete",
		"ka.auth.decision":                                  "allow",
		"ka.auth.reason":                                    `RBAC: allowed by ClusterRoleBinding "minikube-rbac"`,
		"ka.security.pod.violations":                        "privileged",
		"ka.auth.openshift.decision":                        "<NA>",
		"ka.user.name":                                      "minikube-user",
		"ka.user.groups":                                    "(system:masters,system:authenticated)",
		"ka.impuser.name":                                   "bob",
		"ka.verb":                                           "create",
		"ka.uri":                                            "/api/v1/namespaces/default/pods?fieldManager=kubectl-client-side-apply&dryRun=All%20x",
		"ka.uri.param[fieldManager]":                        "kubectl-client-side-apply",
		"ka.uri.param[dryRun]":                              "All x",
		"ka.uri.param[nope]":                                "<NA>",
		"ka.target.name":                                    "web",
		"ka.target.namespace":                               "default",
		"ka.target.resource":                                "pods",
		"ka.target.subresource":                             "<NA>",
		"ka.target.pod.name":                                "web-1",
		"ka.req.pod.containers.image":                       "(docker.io/library/nginx:1.25@sha256:abc,busybox)",
		"ka.req.pod.containers.image[1]":                    "(busybox)",
		"ka.req.pod.containers.image[2]":                    "<NA>",
		"ka.req.pod.containers.image.repository":            "(docker.io/library/nginx,busybox)",
		"ka.req.container.image":                            "docker.io/library/nginx:1.25@sha256:abc",
		"ka.req.container.image.repository":                 "docker.io/library/nginx",
		"ka.req.pod.containers.name":                        "(web,side)",
		"ka.req.pod.containers.command":                     "(nginx -g)",
		"ka.req.pod.containers.args":                        "(daemon off;)",
		"ka.req.pod.containers.host_port":                   "(8080,443)",
		"ka.req.pod.containers.privileged":                  "(true)",
		"ka.req.container.privileged":                       "true",
		"ka.req.pod.containers.allow_privilege_escalation":  "(false)",
		"ka.req.pod.containers.read_only_fs":                "(true)",
		"ka.req.pod.containers.run_as_user":                 "(1000)",
		"ka.req.pod.containers.eff_run_as_user":             "(1000,2000)",
		"ka.req.pod.containers.run_as_group":                "(3000)",
		"ka.req.pod.containers.eff_run_as_group":            "(3000,2001)",
		"ka.req.pod.containers.proc_mount":                  "(Unmasked)",
		"ka.req.pod.containers.add_capabilities":            "(NET_ADMIN,SYS_TIME)",
		"ka.req.pod.initContainers.image":                   "(alpine:3)",
		"ka.req.pod.initContainers.privileged":              "(false)",
		"ka.req.pod.ephemeralContainers.image":              "<NA>",
		"ka.req.pod.host_network":                           "true",
		"ka.req.container.host_network":                     "true",
		"ka.req.pod.host_pid":                               "false",
		"ka.req.pod.host_ipc":                               "<NA>",
		"ka.req.pod.run_as_user":                            "2000",
		"ka.req.pod.run_as_group":                           "2001",
		"ka.req.pod.fs_group":                               "2002",
		"ka.req.pod.supplemental_groups":                    "(5,6)",
		"ka.req.pod.volumes.hostpath":                       "(/)",
		"ka.req.volume.hostpath[/]":                         "true",
		"ka.req.volume.hostpath[/etc*]":                     "false",
		"ka.req.pod.volumes.flexvolume_driver":              "(example/lvm)",
		"ka.req.pod.volumes.volume_type":                    "(hostPath,configMap,flexVolume)",
		"ka.req.pod.volumes.volume_type[1]":                 "(configMap)",
		"ka.resp.name":                                      "web-1",
		"ka.response.code":                                  "201",
		"ka.response.reason":                                "Created",
		"ka.useragent":                                      "kubectl/v1.30.0 (linux/amd64) kubernetes/7c48c2b",
		"ka.sourceips":                                      "(192.168.49.1,10.0.0.7)",
		"ka.sourceips[1]":                                   "(10.0.0.7)",
		"ka.cluster.name":                                   "prod-eu",
		"ka.req.binding.subject.has_name[x]":                "true",
		"jevt.value[/user/username]":                        "minikube-user",
		"json.value[/requestObject/spec/containers/1/name]": "side",
		"json.value[/responseStatus]":                       `{"code":201,"metadata":{},"reason":"Created"}`,
		"jevt.rawtime":                                      "1714557600123456000",
		"json.rawtime":                                      "1714557600123456000",
		"evt.num":                                           "1",
		"evt.source":                                        "k8s_audit",
		"evt.pluginname":                                    "k8saudit",
		"evt.rawtime":                                       "1714557600123456000",
		"evt.time.iso8601":                                  "2024-05-01T10:00:00.123456000+0000",
		"evt.is_async":                                      "false",
	}
	for expr, w := range want {
		if got := srctest.Extract(t, reg, c, expr); got != w {
			t.Errorf("%s = %q, want %q", expr, got, w)
		}
	}
	if obj := srctest.Extract(t, reg, c, "jevt.obj"); !strings.HasPrefix(obj, "{\n  \"annotations\": {") {
		t.Errorf("jevt.obj = %.60q…", obj)
	}
}

// TestBindingAndRoleFields checks the fields of bindings and roles.
func TestBindingAndRoleFields(t *testing.T) {
	reg := Registry()
	var dec Decoder
	c := field.NewContext(nil)
	b := auditEvent("create", "clusterrolebindings", "", "b", 201, map[string]any{
		"requestObject": map[string]any{"roleRef": map[string]any{"name": "cluster-admin"}, "subjects": []any{
			map[string]any{"kind": "User", "name": "mallory"}, map[string]any{"kind": "ServiceAccount", "name": "sa", "namespace": "ci"},
			map[string]any{"kind": "Group", "name": "devs"}}}})
	if err := dec.Decode(c, srctest.JSON(t, b), 1); err != nil {
		t.Fatal(err)
	}
	for expr, w := range map[string]string{
		"ka.req.binding.role":                             "cluster-admin",
		"ka.req.binding.subjects":                         `({"kind":"User","name":"mallory"},{"kind":"ServiceAccount","name":"sa","namespace":"ci"},{"kind":"Group","name":"devs"})`,
		"ka.req.binding.subjects.user_names":              "(mallory)",
		"ka.req.binding.subjects.serviceaccount_names":    "(sa)",
		"ka.req.binding.subjects.serviceaccount_ns_names": "(ci:sa)",
		"ka.req.binding.subjects.group_names":             "(devs)",
		"ka.req.role.rules":                               "<NA>",
	} {
		if got := srctest.Extract(t, reg, c, expr); got != w {
			t.Errorf("%s = %q, want %q", expr, got, w)
		}
	}
	r := auditEvent("create", "roles", "default", "r", 201, map[string]any{"requestObject": map[string]any{"rules": []any{
		map[string]any{"apiGroups": []any{""}, "resources": []any{"pods"}, "verbs": []any{"get"}},
		map[string]any{"apiGroups": []any{"apps"}, "resources": []any{"deployments"}, "verbs": []any{"create", "delete"}, "nonResourceURLs": []any{"/metrics"}}}}})
	if err := dec.Decode(c, srctest.JSON(t, r), 2); err != nil {
		t.Fatal(err)
	}
	for expr, w := range map[string]string{
		"ka.req.role.rules.verbs":           "(get,create,delete)",
		"ka.req.role.rules.verbs[1]":        "(create,delete)",
		"ka.req.role.rules.resources":       "(pods,deployments)",
		"ka.req.role.rules.apiGroups":       "(,apps)",
		"ka.req.role.rules.nonResourceURLs": "(/metrics)",
		"evt.num":                           "2",
	} {
		if got := srctest.Extract(t, reg, c, expr); got != w {
			t.Errorf("%s = %q, want %q", expr, got, w)
		}
	}
}

// TestListOperators checks that list fields compare as in Falco: in
// holds when every value is listed, intersects when one is; other
// operators are refused.
func TestListOperators(t *testing.T) {
	reg := Registry()
	var dec Decoder
	c := field.NewContext(nil)
	if err := dec.Decode(c, richPod(t), 1); err != nil {
		t.Fatal(err)
	}
	srctest.Matches(t, reg, c, map[string]bool{
		"ka.req.pod.containers.image.repository in (docker.io/library/nginx, busybox)": true,
		"ka.req.pod.containers.image.repository in (busybox)":                          false,
		"ka.req.pod.containers.image.repository intersects (busybox)":                  true,
		"ka.req.pod.containers.image[1] in (busybox)":                                  true,
		"ka.req.pod.containers.privileged intersects (true)":                           true,
		"ka.req.pod.ephemeralContainers.privileged intersects (true)":                  false,
		"ka.req.pod.ephemeralContainers.privileged exists":                             false,
		"ka.user.groups intersects (system:masters)":                                   true,
		"ka.sourceips in (192.168.49.1, 10.0.0.7)":                                     true,
		"ka.req.pod.host_network intersects (true)":                                    true,
		"evt.source = k8s_audit and evt.pluginname = k8saudit":                         true,
	})
	if _, err := filter.Compile("ka.req.pod.containers.image = nginx", filter.Options{Fields: reg}); err == nil {
		t.Error("= on a list field compiled")
	}
	if _, err := filter.Compile("ka.req.pod.containers.image[x] exists", filter.Options{Fields: reg}); err == nil {
		t.Error("a non-numeric index compiled")
	}
}

// TestRulesWithSyscallRules loads the upstream k8s audit rules with the
// syscall rules and lists every rule with its source.
func TestRulesWithSyscallRules(t *testing.T) {
	eng, _ := srctest.Compile(t, Def(), engine.DefaultOptions(), srctest.SyscallRules(t), upstreamRules(t))
	spec, _ := rules.Load(srctest.SyscallRules(t), upstreamRules(t))
	counts := map[string]int{}
	for _, r := range spec.Rules {
		counts[r.Source]++
		t.Logf("%-10s %s", r.Source, r.Name)
	}
	if counts["k8s_audit"] != 48 || counts["syscall"] == 0 {
		t.Errorf("rules by source: %v", counts)
	}
	if got := len(eng.Source(SourceName).Rules()); got != counts["k8s_audit"] {
		t.Errorf("k8s_audit rules compiled: %d of %d", got, counts["k8s_audit"])
	}
	if got := len(eng.Rules()); got != counts["syscall"] {
		t.Errorf("syscall rules compiled: %d of %d", got, counts["syscall"])
	}
	for _, r := range eng.Rules() {
		if r.Spec.Source != rules.SyscallSource {
			t.Errorf("rule %q of source %s among the syscall rules", r.Spec.Name, r.Spec.Source)
		}
	}
}

// TestPluginRequirement checks required_plugin_versions against the
// declared plugins.
func TestPluginRequirement(t *testing.T) {
	for _, c := range []struct {
		yaml    string
		errs    int
		warning bool
	}{
		{"- required_plugin_versions:\n  - name: k8saudit\n    version: 0.18.0\n", 0, false},
		{"- required_plugin_versions:\n  - name: k8saudit\n    version: 0.99.0\n    alternatives:\n      - name: k8saudit-eks\n        version: 0.12.0\n", 0, false},
		{"- required_plugin_versions:\n  - name: k8saudit\n    version: 0.99.0\n", 1, false},
		{"- required_plugin_versions:\n  - name: json\n    version: 1.0.0\n", 1, false},
		{"- required_plugin_versions:\n  - name: okta\n    version: 0.11.0\n", 0, true},
	} {
		spec, ds := rules.LoadBytes("t.yaml", []byte(c.yaml))
		_, cds := engine.Compile(spec, engine.Options{Sources: []engine.SourceDef{Def()}, MinPriority: rules.PriorityDebug})
		ds = append(ds, cds...)
		if len(ds.Errors()) != c.errs || (len(ds.Warnings()) > 0) != c.warning {
			t.Errorf("%q: %v", c.yaml, ds)
		}
	}
}
