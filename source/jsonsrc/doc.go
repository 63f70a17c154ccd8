// Package jsonsrc holds what every JSON event source shares: a JSON
// document parsed once per event into a flat tree over the event's bytes
// ([Doc]), read without copying; the fields of Falco's JSON plugin
// (json.value, json.obj, json.rawtime and their jevt.* aliases), which
// work on every source whose events implement [Event]; the plugin event
// record that carries each event ([Record]); and the plumbing of the
// sources' receivers: the queue to the rules ([Queue]), their counters
// ([Stats]), the webhook server ([Server]) and the reading of files and
// directories ([ReadPath]).
package jsonsrc
