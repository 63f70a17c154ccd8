package rules

import "strings"

// CheckPlugins checks each required_plugin_versions entry of spec against
// the plugins the running sources declare (the upstream plugins they
// stand in for, with their versions). An entry holds when the plugin, or
// one of its alternatives, is declared with the same major version and a
// version not older than required. A plugin no source declares is a
// warning (its rules' source is unknown too, and they are skipped); a
// declared one that is too old is an error, as in Falco.
func CheckPlugins(spec *Spec, have []PluginVersion) Diagnostics {
	var ds Diagnostics
	for _, req := range spec.RequiredPlugins {
		known, ok := pluginSatisfied(req, have)
		if ok {
			continue
		}
		d := Diagnostic{Severity: SeverityError, Pos: req.Pos, Item: "required_plugin_versions"}
		if known == "" {
			d.Severity = SeverityWarning
			d.Message = "plugin '" + req.Name + "' (" + wanted(req) + ") is not built into Kestrel; rules of its source are skipped"
		} else {
			d.Message = "plugin '" + req.Name + "' (" + wanted(req) + ") is required, Kestrel provides " + known
		}
		ds = append(ds, d)
	}
	return ds
}

// pluginSatisfied reports whether one of the names req accepts is
// declared in a compatible version; known lists those declared at all.
func pluginSatisfied(req PluginRequirement, have []PluginVersion) (known string, ok bool) {
	accepted := append([]PluginVersion{{Name: req.Name, Version: req.Version}}, req.Alternatives...)
	var seen []string
	for _, want := range accepted {
		for _, h := range have {
			if h.Name != want.Name {
				continue
			}
			if versionAtLeast(h.Version, want.Version) {
				return "", true
			}
			seen = append(seen, "'"+h.Name+"' "+h.Version)
		}
	}
	return strings.Join(seen, ", "), false
}

// wanted describes what req accepts: "version 0.18.0 or later, or
// k8saudit-eks 0.12.0, …".
func wanted(req PluginRequirement) string {
	s := "version " + req.Version + " or a later compatible one"
	for _, a := range req.Alternatives {
		s += ", or '" + a.Name + "' " + a.Version
	}
	return s
}
