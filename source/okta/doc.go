// Package okta is the Okta event source (okta): the events of an Okta
// organization's System Log (LogEvent objects), polled from its API or
// read from files of saved events.
//
// It stands in for Falco's okta plugin: the same source name, the same
// okta.* fields with their arguments, the JSON plugin's json.* and jevt.*
// fields and the generic evt.* ones, so that the upstream okta_rules.yaml
// loads unmodified. [Run] polls the System Log API and queues the events
// it returns, [FileReader] reads files of events, [Splitter] turns an API
// page, a file or a line into events, [Detect] tells Okta events from
// other input, and [Decoder] makes one event current in a field.Context,
// parsed once, for the engine. The Decoder also keeps, per user, the
// times of recent MFA failures and denied pushes behind the
// okta.mfa.*.countlast fields, in a cache bounded in users and in times
// per user, aged by the events' own times.
//
// Goroutines: [Run] blocks on the goroutine that calls it and starts
// none; it owns its HTTP client and hands events to a [jsonsrc.Queue].
// A Decoder, a Splitter and a FileReader each belong to one goroutine.
package okta
