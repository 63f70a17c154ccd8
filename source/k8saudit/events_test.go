package k8saudit

import (
	"sort"
	"strings"
	"testing"

	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/internal/srctest"
)

// auditEvent builds an audit.k8s.io/v1 Event as the API server writes
// it, from the documented schema; mods change or add fields by dotted
// path ("objectRef.subresource"); a nil value removes the field.
func auditEvent(verb, resource, ns, name string, code int, mods map[string]any) map[string]any {
	ev := map[string]any{
		"kind":       "Event",
		"apiVersion": "audit.k8s.io/v1",
		"level":      "RequestResponse",
		"auditID":    "6f4a9c1e-2b7d-4e3a-9c55-0d1e2f3a4b5c",
		"stage":      "ResponseComplete",
		"requestURI": "/api/v1/namespaces/" + ns + "/" + resource + "/" + name,
		"verb":       verb,
		"user": map[string]any{
			"username": "minikube-user",
			"uid":      "1b2c",
			"groups":   []any{"system:masters", "system:authenticated"},
		},
		"sourceIPs": []any{"192.168.49.1", "10.0.0.7"},
		"userAgent": "kubectl/v1.30.0 (linux/amd64) kubernetes/7c48c2b",
		"objectRef": map[string]any{
			"resource": resource, "namespace": ns, "name": name, "apiVersion": "v1",
		},
		"responseStatus":           map[string]any{"metadata": map[string]any{}, "code": code},
		"requestReceivedTimestamp": "2024-05-01T10:00:00.000000Z",
		"stageTimestamp":           "2024-05-01T10:00:00.123456Z",
		"annotations": map[string]any{
			"authorization.k8s.io/decision": "allow",
			"authorization.k8s.io/reason":   `RBAC: allowed by ClusterRoleBinding "minikube-rbac"`,
		},
	}
	if ns == "" {
		delete(ev["objectRef"].(map[string]any), "namespace")
	}
	for path, v := range mods {
		srctest.SetPath(ev, path, v)
	}
	return ev
}

func podSpec(containers ...map[string]any) map[string]any {
	cs := make([]any, len(containers))
	for i, c := range containers {
		cs[i] = c
	}
	return map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": "p"}, "spec": map[string]any{"containers": cs}}
}

func container(name, image string, sc map[string]any) map[string]any {
	c := map[string]any{"name": name, "image": image}
	if sc != nil {
		c["securityContext"] = sc
	}
	return c
}

func withSpec(pod map[string]any, key string, v any) map[string]any {
	pod["spec"].(map[string]any)[key] = v
	return pod
}

// newJudge returns a judge running audit events through every upstream
// rule.
func newJudge(tb testing.TB) *srctest.Judge {
	o := engine.DefaultOptions()
	o.Matching = engine.MatchAll
	return srctest.NewJudge(tb, Def(), o, &Decoder{}, upstreamRules(tb))
}

func TestRulesFire(t *testing.T) {
	j := newJudge(t)
	priv := map[string]any{"privileged": true}
	ruleObj := func(resources, verbs []any) map[string]any {
		return map[string]any{"kind": "ClusterRole", "rules": []any{map[string]any{"apiGroups": []any{""}, "resources": resources, "verbs": verbs}}}
	}
	cases := []struct {
		name string
		ev   any
		want []string
	}{
		{"privileged pod", auditEvent("create", "pods", "default", "p", 201, map[string]any{
			"requestObject": podSpec(container("c", "nginx:1.25", priv))}),
			[]string{"Create Privileged Pod"}},
		{"privileged init container", auditEvent("create", "pods", "default", "p", 201, map[string]any{
			"requestObject": withSpec(podSpec(container("c", "nginx:1.25", nil)), "initContainers", []any{container("i", "busybox", priv)})}),
			[]string{"Create Privileged Pod"}},
		{"unprivileged pod (benign)", auditEvent("create", "pods", "default", "p", 201, map[string]any{
			"requestObject": podSpec(container("c", "nginx:1.25", map[string]any{"privileged": false}))}),
			nil},
		{"privileged falco pod (exempt image)", auditEvent("create", "pods", "default", "p", 201, map[string]any{
			"requestObject": podSpec(container("c", "falcosecurity/falco:0.38.0", priv))}),
			nil},
		{"privileged pod, still at RequestReceived (benign)", auditEvent("create", "pods", "default", "p", 201, map[string]any{
			"stage": "RequestReceived", "requestObject": podSpec(container("c", "nginx:1.25", priv))}),
			nil},
		{"sensitive mount", auditEvent("create", "pods", "default", "p", 201, map[string]any{
			"requestObject": withSpec(podSpec(container("c", "nginx", nil)), "volumes", []any{
				map[string]any{"name": "data", "emptyDir": map[string]any{}},
				map[string]any{"name": "etc", "hostPath": map[string]any{"path": "/etc"}}})}),
			[]string{"Create Sensitive Mount Pod"}},
		{"harmless host mount (benign)", auditEvent("create", "pods", "default", "p", 201, map[string]any{
			"requestObject": withSpec(podSpec(container("c", "nginx", nil)), "volumes", []any{
				map[string]any{"name": "d", "hostPath": map[string]any{"path": "/data/etc"}}})}),
			nil},
		{"host network", auditEvent("create", "pods", "default", "p", 201, map[string]any{
			"requestObject": withSpec(podSpec(container("c", "nginx", nil)), "hostNetwork", true)}),
			[]string{"Create HostNetwork Pod"}},
		{"host network false (benign)", auditEvent("create", "pods", "default", "p", 201, map[string]any{
			"requestObject": withSpec(podSpec(container("c", "nginx", nil)), "hostNetwork", false)}),
			nil},
		{"host pid", auditEvent("create", "pods", "default", "p", 201, map[string]any{
			"requestObject": withSpec(podSpec(container("c", "nginx", nil)), "hostPID", true)}),
			[]string{"Create HostPid Pod"}},
		{"host ipc", auditEvent("create", "pods", "default", "p", 201, map[string]any{
			"requestObject": withSpec(podSpec(container("c", "nginx", nil)), "hostIPC", true)}),
			[]string{"Create HostIPC Pod"}},
		{"pod in kube-system", auditEvent("create", "pods", "kube-system", "p", 201, map[string]any{
			"requestObject": podSpec(container("c", "nginx", nil))}),
			[]string{"Pod Created in Kube Namespace"}},
		{"node port service", auditEvent("create", "services", "default", "s", 201, map[string]any{
			"requestObject": map[string]any{"spec": map[string]any{"type": "NodePort", "ports": []any{map[string]any{"port": 80, "nodePort": 30080}}}}}),
			[]string{"Create NodePort Service", "K8s Service Created"}},
		{"cluster IP service (benign for NodePort)", auditEvent("create", "services", "default", "s", 201, map[string]any{
			"requestObject": map[string]any{"spec": map[string]any{"type": "ClusterIP"}}}),
			[]string{"K8s Service Created"}},
		{"configmap with credentials", auditEvent("create", "configmaps", "default", "cm", 201, map[string]any{
			"requestObject": map[string]any{"data": map[string]any{"config": "aws_access_key_id=AKIA..."}}}),
			[]string{"Create/Modify Configmap With Private Credentials", "K8s ConfigMap Created"}},
		{"configmap without credentials", auditEvent("update", "configmaps", "default", "cm", 200, map[string]any{
			"requestObject": map[string]any{"data": map[string]any{"config": "log_level=debug"}}}),
			nil},
		{"anonymous request", auditEvent("get", "pods", "default", "", 200, map[string]any{
			"user": map[string]any{"username": "system:anonymous"}, "requestURI": "/api/v1/pods"}),
			[]string{"Anonymous Request Allowed"}},
		{"anonymous health check (benign)", auditEvent("get", "pods", "default", "", 200, map[string]any{
			"user": map[string]any{"username": "system:anonymous"}, "requestURI": "/healthz"}),
			nil},
		{"exec", auditEvent("create", "pods", "default", "p", 101, map[string]any{
			"stage": "ResponseStarted", "objectRef.subresource": "exec",
			"requestURI": "/api/v1/namespaces/default/pods/p/exec?command=sh&container=c&stdin=true"}),
			[]string{"Attach/Exec Pod"}},
		{"port-forward", auditEvent("create", "pods", "default", "p", 101, map[string]any{
			"stage": "ResponseStarted", "objectRef.subresource": "portforward"}),
			[]string{"port-forward"}},
		{"ephemeral container", auditEvent("patch", "pods", "default", "p", 200, map[string]any{
			"objectRef.subresource": "ephemeralcontainers",
			"requestObject":         map[string]any{"ephemeralContainers": []any{container("debugger", "busybox", nil)}}}),
			[]string{"EphemeralContainers Created"}},
		{"namespace outside the list", auditEvent("create", "namespaces", "", "crypto", 201, nil),
			[]string{"Create Disallowed Namespace", "K8s Namespace Created"}},
		{"service account in kube-system", auditEvent("create", "serviceaccounts", "kube-system", "sneaky", 201, nil),
			[]string{"K8s Serviceaccount Created", "Service Account Created in Kube Namespace"}},
		{"trusted service account in kube-system (benign)", auditEvent("create", "serviceaccounts", "kube-system", "coredns", 201, nil),
			[]string{"K8s Serviceaccount Created"}},
		{"system clusterrole changed", auditEvent("update", "clusterroles", "", "system:node", 200, nil),
			[]string{"System ClusterRole Modified/Deleted"}},
		{"cluster-admin binding", auditEvent("create", "clusterrolebindings", "", "b", 201, map[string]any{
			"requestObject": map[string]any{"roleRef": map[string]any{"kind": "ClusterRole", "name": "cluster-admin"},
				"subjects": []any{map[string]any{"kind": "User", "name": "mallory"}, map[string]any{"kind": "ServiceAccount", "name": "sa", "namespace": "ci"}}}}),
			[]string{"Attach to cluster-admin Role", "K8s ClusterRoleBinding Created"}},
		{"wildcard clusterrole", auditEvent("create", "clusterroles", "", "r", 201, map[string]any{
			"requestObject": ruleObj([]any{"*"}, []any{"get"})}),
			[]string{"ClusterRole With Wildcard Created", "K8s ClusterRole Created"}},
		{"write clusterrole", auditEvent("create", "clusterroles", "", "r", 201, map[string]any{
			"requestObject": ruleObj([]any{"deployments"}, []any{"get", "delete"})}),
			[]string{"ClusterRole With Write Privileges Created", "K8s ClusterRole Created"}},
		{"pod exec clusterrole", auditEvent("create", "clusterroles", "", "r", 201, map[string]any{
			"requestObject": ruleObj([]any{"pods/exec"}, []any{"get"})}),
			[]string{"ClusterRole With Pod Exec Created", "K8s ClusterRole Created"}},
		{"read-only role", auditEvent("create", "roles", "default", "r", 201, map[string]any{
			"requestObject": ruleObj([]any{"pods"}, []any{"get", "list"})}),
			[]string{"K8s Role Created"}},
		{"deployment created", auditEvent("create", "deployments", "default", "d", 201, nil),
			[]string{"K8s Deployment Created"}},
		{"deployment creation refused", auditEvent("create", "deployments", "default", "d", 403, nil),
			nil},
		{"deployment deleted", auditEvent("delete", "deployments", "default", "d", 200, nil),
			[]string{"K8s Deployment Deleted"}},
		{"secret created", auditEvent("create", "secrets", "default", "s", 201, nil),
			[]string{"K8s Secret Created"}},
		{"secret read", auditEvent("get", "secrets", "default", "s", 200, nil),
			[]string{"K8s Secret Get Successfully"}},
		{"secret read refused", auditEvent("get", "secrets", "default", "s", 403, nil),
			[]string{"K8s Secret Get Unsuccessfully Tried"}},
		{"ingress without TLS", auditEvent("create", "ingresses", "default", "i", 201, map[string]any{
			"requestObject": map[string]any{"spec": map[string]any{"rules": []any{}}}}),
			[]string{"Ingress Object without TLS Certificate Created"}},
		{"ingress with TLS (benign)", auditEvent("create", "ingresses", "default", "i", 201, map[string]any{
			"requestObject": map[string]any{"spec": map[string]any{"tls": []any{map[string]any{"secretName": "t"}}}}}),
			nil},
		{"user outside the allowed list", auditEvent("get", "pods", "default", "p", 200, map[string]any{
			"user": map[string]any{"username": "mallory"}}),
			[]string{"Disallowed K8s User"}},
		{"system user (benign)", auditEvent("get", "pods", "default", "p", 200, map[string]any{
			"user": map[string]any{"username": "system:kube-scheduler"}}),
			nil},
	}
	fired := map[string]bool{}
	for _, c := range cases {
		for _, n := range j.Expect(t, c.name, srctest.JSON(t, c.ev), 1714557600123456000, c.want) {
			fired[n] = true
		}
	}
	var names []string
	for n := range fired {
		names = append(names, n)
	}
	sort.Strings(names)
	t.Logf("%d rules fired: %s", len(names), strings.Join(names, "; "))
}
