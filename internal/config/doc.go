// Package config reads Kestrel's configuration file. Its keys are those
// of Falco's falco.yaml wherever the meaning is the same, so that an
// operator's Falco configuration carries over: [Load] accepts every key
// of Falco 0.44's falco.yaml, with one located warning for each key that
// does not apply to Kestrel (engine, plugins, falco_libs…).
//
// Loading follows Falco: ${VAR} in a value is replaced by the environment
// variable (nothing when unset; $${ writes a literal ${); config_files
// merges more files or directories in order, with the append, override or
// add-only strategy; -o key.path=value options ([LoadWithOverrides]) set
// any key, "key[]=v" appending to a list. Unlike Falco, a key Kestrel does
// not know, a value of the wrong type or an unknown word is an error, not
// a silent default: every problem is gathered in [Diagnostics], each with
// its file, line and column (or its -o option) and a caret under the
// place, and loading goes on to find the others.
//
// [Config] is plain data whose struct tags and the description table of
// meta.go drive the decoder, [Config.Validate], [Schema] (a JSON Schema of
// the file) and [Example] (the commented examples/kestrel.yaml), so that
// none of them can drift from the others.
//
// The package has no global state and starts no goroutines.
package config
