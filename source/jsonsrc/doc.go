// Package jsonsrc holds what every JSON event source shares: a JSON
// document parsed once per event into a flat tree over the event's bytes
// ([Doc]), read without copying, and the fields of Falco's JSON plugin
// (json.value, json.obj, json.rawtime and their jevt.* aliases), which
// work on every source whose events implement [Event].
package jsonsrc
