// Package recorder is Kestrel's flight recorder: it keeps the recent past
// of the host in memory, cheaply, and writes it out as a capture file
// when an alert asks for it.
//
// # The ring
//
// A [Ring] holds the latest events in their scap encoding, in memory
// fixed when it is made (one byte slab used circularly, and an index of
// the events), without allocating per event. It keeps the events of a
// span of event time, or as many as fit, whichever is less.
//
// # Checkpoints
//
// A capture that starts in the past needs the host's state as it was
// then, but the model has moved on since. So the [Recorder] takes
// checkpoints: every half of the look-back time (at least a second), and
// whenever the ring has taken a quarter of its slab, it keeps the model
// as a capture section ([state.State.Section]), taken before the event
// it precedes. The ring keeps the events since the oldest checkpoint
// still useful, and checkpoints whose events left the ring are dropped.
//
// # A capture
//
// On [Recorder.Capture] for an alert at time T, the recorder picks the
// newest checkpoint C at or before T - Before, and writes: C's section,
// the model's container records, the ring's events from C to T (those
// before T - Before state-only, and only when they change the model, so
// that readers apply them but show the capture from T - Before on), then
// the live events until T plus the rule's duration (a timer ends it when
// the host is quiet and no later event does). Later alerts extend
// the capture under way instead of starting another. The file is written
// as sysdig 0.29.3's driver would have ([scap.ProfileSysdig029]), under a
// temporary name made 0600, and renamed into place when it ends. The
// number of captures kept and their total size are bounded; the oldest
// are removed first.
//
// # The writer
//
// The files are written by a writer goroutine, not by the pipeline's
// goroutine, which judges the events. Asking for a capture picks the
// checkpoint, makes the model's container records and the alert's
// scope, and hands them over with the ring's events from the checkpoint
// on, without copying them: the ring keeps every event a writer has yet
// to read (its hold), and refuses new events rather than overwrite them.
// The live events go to the writer the same way, through the ring: when
// the writer falls behind and the ring has no room left, the pipeline's
// goroutine waits a few milliseconds at most (stallMax for an event,
// stallBudget for a capture), then the events that do not fit are left
// out of the capture and counted ([Stats].Dropped). The writer applies
// the limits, renames the file into place, prunes the old captures and
// counts them; [Recorder.Close] waits for it, a bounded time.
//
// The recorder is a pipeline sink: it runs on the pipeline's goroutine,
// after the model has applied each event, and before the rules sink, so
// that the event that raises an alert is in the ring when the alert
// asks for a capture.
package recorder
