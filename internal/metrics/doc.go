// Package metrics is Kestrel's self-monitoring: what it saw, lost, matched
// and sent, in Prometheus form (a [Collector] on a registry of its own)
// and in the JSON form of Falco's periodic "metrics snapshot" internal
// alert ([AppendFalcoJSON]).
//
// # Pulled, not pushed
//
// The event path counts with plain integers and never touches this
// package. Metrics are pulled: the caller gives [New] a function that
// fills a [Snapshot], and the collector calls it at scrape time. The
// collector calls that function from one goroutine at a time (it holds a
// mutex while calling), but from whichever goroutine scrapes: the function
// must not read the event goroutine's plain counters directly. It either
// loads counters the event goroutine publishes atomically, or asks the
// event goroutine for a copy (a request channel served between events).
//
// # Goroutines
//
// This package starts none. [Collector.Collect] and [Collector.Snapshot]
// run on the caller's goroutine (the HTTP handler's for a scrape, the
// ticker's for the periodic JSON); the snapshot function runs there too.
// [AppendFalcoJSON] is pure.
//
// # Names
//
// Kestrel's own metrics have the prefix kestrel_, base units (seconds),
// _total on counters and snake_case labels:
//
//	kestrel_build_info{version,engine_version}      gauge, 1
//	kestrel_uptime_seconds                          gauge
//	kestrel_events_total{event_type}                counter, events the pipeline handled
//	kestrel_source_events_total                     counter, events the source delivered
//	kestrel_kernel_events_total                     counter, records the kernel side sent
//	kestrel_events_dropped_total{cause}             counter, cause = ring_full, too_long, queue_full, unreadable
//	kestrel_kernel_read_failures_total              counter, values left empty (the event is kept)
//	kestrel_alerts_total{rule,priority,source}      counter; sum by (priority) for alerts by priority
//	kestrel_output_sent_total{output}               counter
//	kestrel_output_failed_total{output}             counter
//	kestrel_output_dropped_total{output,reason}     counter
//	kestrel_rule_evaluation_seconds_total           counter, time spent judging events
//	kestrel_rule_evaluations_total                  counter, events judged
//	kestrel_state_threads                           gauge
//	kestrel_state_fds                               gauge
//	kestrel_state_containers                        gauge
//	kestrel_reloads_total{result}                   counter, result = ok, failed
//	kestrel_captures_total                          counter, captures written on alert
//	kestrel_capture_bytes_total                     counter, bytes written to them
//	kestrel_capture_events_dropped_total            counter, events left out of captures (writer behind)
//	kestrel_config_last_load_timestamp_seconds      gauge
//
// The same registry holds the standard process_* metrics (resident memory,
// CPU seconds, open fds) and go_* runtime metrics, under their usual
// names.
//
// # Falco's names
//
// With [Options.FalcoNames] the collector also exposes the names of
// Falco's Prometheus endpoint (falco_metrics.cpp) where Kestrel has the
// same quantity, so dashboards built for Falco keep working:
//
//	falcosecurity_falco_version_info{version}            kestrel_build_info
//	falcosecurity_scap_engine_name_info{engine_name,evt_source}
//	falcosecurity_falco_kernel_release_info{kernel_release}
//	falcosecurity_evt_hostname_info{hostname}
//	falcosecurity_falco_rules_matches_total{rule_name,priority,source}
//	                                                     kestrel_alerts_total (priority as Falco's number, 0 Emergency … 7 Debug; no tag_ labels)
//	falcosecurity_falco_outputs_queue_num_drops_total    sum of kestrel_output_dropped_total
//	falcosecurity_falco_reload_timestamp_nanoseconds     kestrel_config_last_load_timestamp_seconds
//	falcosecurity_falco_start_timestamp_nanoseconds      process_start_time_seconds
//	falcosecurity_falco_duration_seconds_total           kestrel_uptime_seconds
//	falcosecurity_falco_host_num_cpus_total              (from [Info])
//	falcosecurity_falco_host_boot_timestamp_nanoseconds  (from [Info])
//	falcosecurity_scap_n_evts_total                      kestrel_kernel_events_total
//	falcosecurity_scap_n_drops_total                     sum of kestrel_events_dropped_total
//	falcosecurity_scap_n_drops_buffer_total              kestrel_events_dropped_total{cause="ring_full"} (no dir/drop labels)
//	falcosecurity_scap_n_drops_scratch_map_total         kestrel_events_dropped_total{cause="too_long"}
//	falcosecurity_scap_n_threads_total                   kestrel_state_threads
//	falcosecurity_scap_n_fds_total                       kestrel_state_fds
//	falcosecurity_scap_n_containers_total                kestrel_state_containers
//
// Falco's falcosecurity_falco_cpu_usage_ratio and
// falcosecurity_falco_memory_rss_bytes correspond to
// rate(process_cpu_seconds_total) and process_resident_memory_bytes; they
// are not repeated under Falco's names.
//
// Falco counts only kernel-side losses in n_drops; Kestrel's drop counts
// also hold the events its reader lost (queue_full, unreadable), so that
// n_drops is every event the engine never saw.
package metrics
