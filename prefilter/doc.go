// Package prefilter derives, from the rules an engine runs, the part of
// their conditions the probe can decide in the kernel: which opens no
// selected rule can match, so that the probe need not send them.
//
// The derivation is an over-approximation. Each selected rule that can
// match an open exit event is read as the set of opens it may match, in
// the terms of [driver.OpenFilter] (outcome, write mode, path prefixes and
// file names); the filter is their union. A check the kernel cannot
// decide (a process name, a container, a transformer, a negation) stands
// for "any open", which an "and" narrows with its other operands. An open
// is dropped only when it lies outside every rule's set.
//
// Dropping an open also keeps its fd out of the host model. That is
// harmless only when no selected rule reads a file fd's fields on another
// event type; otherwise the filter is nil, and the report says why.
package prefilter
