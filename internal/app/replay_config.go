package app

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/kestrel-sec/kestrel/alert"
	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/rules"
)

// replayConfig is what -o key=value settings and flags decide.
type replayConfig struct {
	engine engine.Options
	json   bool
	jopts  alert.JSONOptions
}

// applySetting applies one -o key=value with the meaning Falco's
// configuration file gives the key. Keys that do not matter to a replay
// are reported in ignored.
func (c *replayConfig) applySetting(kv string) (ignored bool, err error) {
	key, val, ok := strings.Cut(kv, "=")
	if !ok {
		return false, Usagef("-o %s: want key=value", kv)
	}
	key = strings.TrimSpace(key)
	val = strings.TrimSpace(val)
	boolVal := func() (bool, error) {
		b, err := strconv.ParseBool(val)
		if err != nil {
			return false, Usagef("-o %s: %q is not true or false", key, val)
		}
		return b, nil
	}
	switch key {
	case "priority":
		p, ok := rules.ParsePriority(val)
		if !ok {
			return false, Usagef("-o priority: unknown priority %q", val)
		}
		c.engine.MinPriority = p
	case "rule_matching":
		m, err := engine.ParseMatching(val)
		if err != nil {
			return false, Usagef("-o %v", err)
		}
		c.engine.Matching = m
	case "json_output":
		c.json, err = boolVal()
	case "json_include_output_property":
		var b bool
		b, err = boolVal()
		c.jopts.OmitOutput = !b
	case "json_include_tags_property":
		var b bool
		b, err = boolVal()
		c.jopts.OmitTags = !b
	case "time_format_iso_8601":
		c.engine.TimeISO8601, err = boolVal()
	default:
		return true, nil
	}
	return false, err
}

func (c *replayConfig) String() string {
	return fmt.Sprintf("matching=%s priority=%s json=%t", c.engine.Matching, c.engine.MinPriority, c.json)
}
