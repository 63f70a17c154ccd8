// Package output delivers alerts to where operators want them: standard
// output, a file, syslog, an HTTP endpoint (falcosidekick or any webhook
// taking Falco's JSON alerts) and a program's standard input, with the
// meaning falco.yaml gives its output keys.
//
// Each output is a [Sink]: a pure render step that turns an alert into
// payload bytes, and a send step that does the I/O. A [Fanout] gives each
// sink its own bounded queue and its own worker goroutine, so a slow or
// dead output never stalls detection nor the other outputs:
// [Fanout.Publish] never blocks, and an alert an output has no room for is
// dropped for that output and counted ([Fanout.Stats]).
//
// Goroutines: [New] starts one worker per output. A worker is the only
// goroutine that touches its sink, so sinks hold no locks. A program output
// also has one goroutine per running program, waiting for it to end.
// Publish, Stats and Reopen may be called from any goroutine.
// [Fanout.Close] stops every worker and every program it started: it lets
// each worker send what is queued, and at ctx's deadline it aborts
// deliveries in flight (HTTP requests, writes to programs, which are
// killed) and counts what was not delivered as dropped for "shutdown".
package output
