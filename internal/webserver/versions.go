package webserver

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Versions fill /versions, an object with the keys of Falco's (keys
// sorted, as Falco writes them) plus kestrel_version. Tools that read
// Falco's endpoint, falcoctl among them, find the keys they look for.
type Versions struct {
	Kestrel string // kestrel_version
	// Falco is falco_version. Tools read it as the version of the
	// running engine; Kestrel fills it with its own version.
	Falco         string
	Libs          string // libs_version
	PluginAPI     string // plugin_api_version
	DriverAPI     string // driver_api_version
	DriverSchema  string // driver_schema_version
	DefaultDriver string // default_driver_version
	// Engine is the rules engine version, major.minor.patch
	// (engine_version_semver); engine_version is its minor number, as
	// Falco keeps it for older tools.
	Engine  string
	Plugins map[string]string // plugin_versions, name to version; left out when empty
}

// versionsJSON is the wire form; fields in key order.
type versionsJSON struct {
	DefaultDriver string            `json:"default_driver_version"`
	DriverAPI     string            `json:"driver_api_version"`
	DriverSchema  string            `json:"driver_schema_version"`
	EngineMinor   string            `json:"engine_version"`
	Engine        string            `json:"engine_version_semver"`
	Falco         string            `json:"falco_version"`
	Kestrel       string            `json:"kestrel_version"`
	Libs          string            `json:"libs_version"`
	PluginAPI     string            `json:"plugin_api_version"`
	Plugins       map[string]string `json:"plugin_versions,omitempty"`
}

// render returns the JSON of /versions.
func (v Versions) render() ([]byte, error) {
	minor, err := engineMinor(v.Engine)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(versionsJSON{
		DefaultDriver: v.DefaultDriver,
		DriverAPI:     v.DriverAPI,
		DriverSchema:  v.DriverSchema,
		EngineMinor:   minor,
		Engine:        v.Engine,
		Falco:         v.Falco,
		Kestrel:       v.Kestrel,
		Libs:          v.Libs,
		PluginAPI:     v.PluginAPI,
		Plugins:       v.Plugins,
	})
	if err != nil {
		return nil, fmt.Errorf("render versions: %w", err)
	}
	return b, nil
}

// engineMinor returns the minor number of a major.minor.patch version,
// "" for an empty one.
func engineMinor(semver string) (string, error) {
	if semver == "" {
		return "", nil
	}
	parts := strings.SplitN(semver, ".", 3)
	if len(parts) < 3 {
		return "", fmt.Errorf("engine version %q: want major.minor.patch", semver)
	}
	n, err := strconv.ParseUint(parts[1], 10, 32)
	if err != nil {
		return "", fmt.Errorf("engine version %q: minor is not a number", semver)
	}
	return strconv.FormatUint(n, 10), nil
}
