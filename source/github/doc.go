// Package github is the GitHub event source (github): the webhook events
// GitHub delivers for the repositories and organisations an operator
// points at Kestrel, judged by the upstream github.yaml rules.
//
// It stands in for Falco's github plugin: the same source name, the same
// github.* fields, the JSON plugin's json.* and jevt.* fields and the
// generic evt.* ones, so the upstream rules file loads unmodified.
//
// One event is one delivery, laid out as the plugin lays it out: the
// webhook's JSON object, with Kestrel's members in front of the payload's
// own. They are the delivery's type (the X-GitHub-Event header) as
// webhook_type, its arrival time as received_at, and, for push events, the
// secrets found in the pushed diff (files) or, for workflow_run events, the
// crypto miners found in the workflow file (workflow_miner_detections). The
// fields read these bytes only, so an event replays from a capture or a
// file as it was judged live, and the plugin's own events decode too.
//
// [Webhook] is the HTTP handler: it checks the X-Hub-Signature-256 HMAC,
// asks the GitHub API for the diff or workflow file through a [Scanner]
// and queues the event. [Listen] and [Server.Serve] run it over HTTP or
// HTTPS; [Run] does both from a [Config]. The server's goroutines belong to
// net/http; a scan runs on the goroutine of the request it serves, bounded
// by the API timeout. [Splitter] and [FileReader] read files of events, one a
// line, for replay ([Detect] recognises them), and [Decoder] makes one
// event current in a field.Context, parsed once, for the engine.
package github
