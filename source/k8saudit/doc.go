// Package k8saudit is the Kubernetes audit event source (k8s_audit): the
// audit events (audit.k8s.io/v1 Event) that an API server's webhook audit
// backend posts, or that its log backend writes one JSON object a line.
//
// It stands in for Falco's k8saudit plugin: the same source name, the
// same ka.* fields with their arguments, the JSON plugin's json.* and
// jevt.* fields and the generic evt.* ones, so that the upstream
// k8s_audit_rules.yaml loads unmodified. [Webhook] serves the webhook,
// [ReadFile] reads and follows log files, [Splitter] turns a body or a
// line into events, and [Decoder] makes one event current in a
// field.Context, parsed once, for the engine.
package k8saudit
