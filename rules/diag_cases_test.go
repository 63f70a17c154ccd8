package rules

// diagCases are broken rules files and the exact diagnostics they give.
var diagCases = []struct{ name, src, want string }{
	{
		name: "bad yaml",
		src:  "- rule: a\n  desc: [x\n- macro: b\n",
		want: `t.yaml:1:1: error: invalid YAML: did not find expected ',' or ']'
 1 | - rule: a
   | ^`,
	},
	{
		name: "bad yaml tab",
		src:  "- list: a\n\titems: []\n",
		want: `t.yaml:2:2: error: invalid YAML: found a tab character that violates indentation
 2 | 	items: []
   | 	^`,
	},
	{
		name: "not a sequence",
		src:  "rule: a\n",
		want: `t.yaml:1:1: error: rules content must be a YAML sequence of items, not a mapping
 1 | rule: a
   | ^`,
	},
	{
		name: "item not mapping",
		src:  "- just a string\n",
		want: `t.yaml:1:3: error: each item must be a mapping, not a scalar
 1 | - just a string
   |   ^`,
	},
	{
		name: "unknown item",
		src:  "- rul: a\n  condition: x\n",
		want: `t.yaml:1:3: warning: unknown item with keys 'rul', 'condition'; the item is ignored (known items: rule, macro, list, required_engine_version, required_plugin_versions)
 1 | - rul: a
   |   ^`,
	},
	{
		name: "unknown key",
		src:  "- macro: m\n  condition: x\n  cond: y\n- rule: r\n  desc: d\n  condition: m\n  output: o\n  priority: INFO\n",
		want: `t.yaml:3:3: warning: macro "m": unknown key 'cond'; the key is ignored
 3 |   cond: y
   |   ^`,
	},
	{
		name: "missing condition",
		src:  "- rule: r\n  desc: d\n  output: o\n  priority: INFO\n",
		want: `t.yaml:1:3: error: rule "r": missing required key 'condition'
 1 | - rule: r
   |   ^`,
	},
	{
		name: "empty condition",
		src:  "- macro: m\n  condition:\n",
		want: `t.yaml:2:3: error: macro "m": key 'condition' has no value
 2 |   condition:
   |   ^`,
	},
	{
		name: "bad priority",
		src:  "- rule: Write below etc\n  desc: d\n  condition: evt.type=open\n  output: o\n  priority: HIGH\n",
		want: `t.yaml:5:13: error: rule "Write below etc": invalid priority 'HIGH'; want one of EMERGENCY, ALERT, CRITICAL, ERROR, WARNING, NOTICE, INFORMATIONAL (or INFO), DEBUG
 5 |   priority: HIGH
   |             ^`,
	},
	{
		name: "append undefined rule",
		src:  "- rule: r\n  condition: and x\n  append: true\n",
		want: `t.yaml:3:3: warning: rule "r": 'append' is deprecated; add an 'append' entry under 'override' instead (e.g. 'override: {condition: append}')
 3 |   append: true
   |   ^

t.yaml:1:3: error: rule "r": cannot append to an undefined rule; define the rule first
 1 | - rule: r
   |   ^`,
	},
	{
		name: "append undefined macro",
		src:  "- macro: m\n  condition: or x\n  override:\n    condition: append\n",
		want: `t.yaml:1:3: error: macro "m": cannot append to an undefined macro; define the macro before appending to it
 1 | - macro: m
   |   ^`,
	},
	{
		name: "append undefined list",
		src:  "- list: l\n  items: [a]\n  append: true\n",
		want: `t.yaml:3:3: warning: list "l": 'append' is deprecated; add an 'append' entry under 'override' instead (e.g. 'override: {items: append}')
 3 |   append: true
   |   ^

t.yaml:1:3: error: list "l": cannot append to an undefined list; define the list before appending to it
 1 | - list: l
   |   ^`,
	},
	{
		name: "override unknown key",
		src:  "- rule: r\n  source: syscall\n  override:\n    source: replace\n",
		want: `t.yaml:4:5: error: rule "r": key 'source' cannot be overridden (overridable keys: condition, output, desc, priority, capture, capture_duration, tags, exceptions, enabled, warn_evttypes, skip-if-unknown-filter)
 4 |     source: replace
   |     ^`,
	},
	{
		name: "override priority append",
		src:  "- rule: r\n  priority: INFO\n  override:\n    priority: append\n",
		want: `t.yaml:4:15: error: rule "r": key 'priority' cannot be appended to; use 'replace' instead
 4 |     priority: append
   |               ^`,
	},
	{
		name: "override bad op",
		src:  "- rule: r\n  condition: x\n  override:\n    condition: merge\n",
		want: `t.yaml:4:16: error: rule "r": invalid override operation 'merge' for key 'condition'; allowed: append, replace
 4 |     condition: merge
   |                ^`,
	},
	{
		name: "override key missing",
		src:  "- rule: r\n  desc: d\n  condition: c\n  output: o\n  priority: INFO\n- rule: r\n  condition: x\n  override:\n    condition: append\n    output: replace\n",
		want: `t.yaml:10:5: error: rule "r": a replace override for 'output' is given but the item has no 'output' key
 10 |     output: replace
    |     ^`,
	},
	{
		name: "override unexpected key",
		src:  "- rule: r\n  desc: d\n  condition: c\n  output: o\n  priority: INFO\n- rule: r\n  condition: x\n  desc: y\n  override:\n    condition: append\n",
		want: `t.yaml:8:3: error: rule "r": unexpected key 'desc': it has no entry under 'override'
 8 |   desc: y
   |   ^`,
	},
	{
		name: "override of undefined rule",
		src:  "- rule: r\n  enabled: false\n  override:\n    enabled: replace\n",
		want: `t.yaml:1:3: error: rule "r": cannot override an undefined rule; define the rule first
 1 | - rule: r
   |   ^`,
	},
	{
		name: "override and append",
		src:  "- list: l\n  items: [a]\n- list: l\n  items: [b]\n  append: true\n  override:\n    items: append\n",
		want: `t.yaml:5:3: warning: list "l": 'append' is deprecated; add an 'append' entry under 'override' instead (e.g. 'override: {items: append}')
 5 |   append: true
   |   ^

t.yaml:6:3: error: list "l": 'override' and 'append: true' cannot be used together; use only 'override'
 6 |   override:
   |   ^

t.yaml:1:3: warning: list "l": list not referred to by any rule, macro or other list
 1 | - list: l
   |   ^`,
	},
	{
		name: "exception fields comps length",
		src:  "- rule: r\n  desc: d\n  condition: c\n  output: o\n  priority: INFO\n  exceptions:\n    - name: e\n      fields: [proc.name, fd.name]\n      comps: [=]\n",
		want: `t.yaml:9:14: error: rule "r": exception 'e': fields and comps must have the same length (2 fields, 1 comps)
 9 |       comps: [=]
   |              ^`,
	},
	{
		name: "exception value tuple size",
		src:  "- rule: r\n  desc: d\n  condition: c\n  output: o\n  priority: INFO\n  exceptions:\n    - name: e\n      fields: [proc.name, fd.name]\n      values:\n        - [bash, /etc]\n        - [sh]\n",
		want: `t.yaml:11:11: error: rule "r": exception 'e': value has 1 items but there are 2 fields
 11 |         - [sh]
    |           ^`,
	},
	{
		name: "exception duplicate name",
		src:  "- rule: r\n  desc: d\n  condition: c\n  output: o\n  priority: INFO\n  exceptions:\n    - name: e\n      fields: proc.name\n      values: [a]\n    - name: e\n      fields: proc.name\n      values: [b]\n",
		want: `t.yaml:10:13: warning: rule "r": exception 'e' is defined more than once in this item
 10 |     - name: e
    |             ^`,
	},
	{
		name: "exception no fields",
		src:  "- rule: r\n  desc: d\n  condition: c\n  output: o\n  priority: INFO\n  exceptions:\n    - name: e\n      values: [a]\n",
		want: `t.yaml:7:7: error: rule "r": exception 'e' has no 'fields' key
 7 |     - name: e
   |       ^`,
	},
	{
		name: "exception bad comp",
		src:  "- rule: r\n  desc: d\n  condition: c\n  output: o\n  priority: INFO\n  exceptions:\n    - name: e\n      fields: [proc.name]\n      comps: [like]\n",
		want: `t.yaml:9:15: error: rule "r": exception 'e': 'like' is not a supported comparison operator
 9 |       comps: [like]
   |               ^`,
	},
	{
		name: "exception single comp",
		src:  "- rule: r\n  desc: d\n  condition: c\n  output: o\n  priority: INFO\n  exceptions:\n    - name: e\n      fields: proc.name\n      comps: \"=\"\n",
		want: `t.yaml:9:14: error: rule "r": exception 'e': comps '=' cannot be used with a single field; use in, pmatch, intersects or an operator with a modifier (e.g. startswith oneof)
 9 |       comps: "="
   |              ^`,
	},
	{
		name: "exception single list value",
		src:  "- rule: r\n  desc: d\n  condition: c\n  output: o\n  priority: INFO\n  exceptions:\n    - name: e\n      fields: proc.name\n      values: [[a, b]]\n",
		want: `t.yaml:9:16: error: rule "r": exception 'e': with a single field each value must be a string, not a sequence
 9 |       values: [[a, b]]
   |                ^`,
	},
	{
		name: "exception append fields",
		src:  "- rule: r\n  desc: d\n  condition: c\n  output: o\n  priority: INFO\n  exceptions:\n    - name: e\n      fields: proc.name\n      values: [a]\n- rule: r\n  exceptions:\n    - name: e\n      fields: fd.name\n      values: [b]\n  override:\n    exceptions: append\n",
		want: `t.yaml:13:15: error: rule "r": exception 'e' exists; only its values can be appended, not fields
 13 |       fields: fd.name
    |               ^`,
	},
	{
		name: "engine version too new",
		src:  "- required_engine_version: 0.99.0\n",
		want: `t.yaml:1:28: error: required_engine_version: rules require engine version 0.99.0, but Kestrel implements engine version 0.62.0
 1 | - required_engine_version: 0.99.0
   |                            ^`,
	},
	{
		name: "engine version bad",
		src:  "- required_engine_version: latest\n",
		want: `t.yaml:1:28: error: required_engine_version: cannot parse engine version 'latest'; want a minor version number or x.y.z
 1 | - required_engine_version: latest
   |                            ^`,
	},
	{
		name: "plugin version bad",
		src:  "- required_plugin_versions:\n    - name: k8saudit\n      version: one\n",
		want: `t.yaml:3:16: error: required_plugin_versions: invalid version 'one' for plugin 'k8saudit'; want x.y.z
 3 |       version: one
   |                ^`,
	},
	{
		name: "enabled not bool",
		src:  "- rule: r\n  desc: d\n  condition: c\n  output: o\n  priority: INFO\n  enabled: maybe\n",
		want: `t.yaml:6:12: error: rule "r": value of 'enabled' must be a boolean (true or false), not 'maybe'
 6 |   enabled: maybe
   |            ^`,
	},
	{
		name: "items not sequence",
		src:  "- list: l\n  items: a, b\n",
		want: `t.yaml:2:10: error: list "l": value of 'items' must be a sequence, not a scalar
 2 |   items: a, b
   |          ^`,
	},
	{
		name: "tags not scalars",
		src:  "- rule: r\n  desc: d\n  condition: c\n  output: o\n  priority: INFO\n  tags: [a, [b]]\n",
		want: `t.yaml:6:13: error: rule "r": each entry of 'tags' must be a scalar, not a sequence
 6 |   tags: [a, [b]]
   |             ^`,
	},
	{
		name: "duplicate key",
		src:  "- macro: m\n  condition: a\n  condition: b\n",
		want: `t.yaml:3:3: error: duplicate key 'condition' (first given at line 2)
 3 |   condition: b
   |   ^`,
	},
	{
		name: "different source",
		src:  "- rule: r\n  desc: d\n  condition: c\n  output: o\n  priority: INFO\n- rule: r\n  desc: d\n  condition: c\n  output: o\n  priority: INFO\n  source: k8s_audit\n",
		want: `t.yaml:11:11: error: rule "r": redefined with a different source ('k8s_audit', was 'syscall')
 11 |   source: k8s_audit
    |           ^`,
	},
	{
		name: "standalone enabled undefined",
		src:  "- rule: r\n  enabled: false\n",
		want: `t.yaml:2:3: warning: rule "r": a standalone 'enabled' key is deprecated; add 'override: {enabled: replace}'
 2 |   enabled: false
   |   ^

t.yaml:1:3: error: rule "r": cannot enable or disable an undefined rule; define the rule first
 1 | - rule: r
   |   ^`,
	},
	{
		name: "legacy append deprecated",
		src:  "- macro: m\n  condition: a\n- macro: m\n  condition: or b\n  append: true\n- rule: r\n  desc: d\n  condition: m\n  output: o\n  priority: INFO\n",
		want: `t.yaml:5:3: warning: macro "m": 'append' is deprecated; add an 'append' entry under 'override' instead (e.g. 'override: {condition: append}')
 5 |   append: true
   |   ^`,
	},
	{
		name: "unused",
		src:  "- list: l\n  items: [a]\n- macro: m\n  condition: proc.name in (l)\n",
		want: `t.yaml:3:3: warning: macro "m": macro not referred to by any rule or other macro
 3 | - macro: m
   |   ^`,
	},
	{
		name: "gathered",
		src:  "- rule: a\n  desc: d\n  output: o\n  priority: LOUD\n- rule: b\n  condition: x\n  append: true\n- list: l\n  items: 3\n",
		want: `t.yaml:1:3: error: rule "a": missing required key 'condition'
 1 | - rule: a
   |   ^

t.yaml:4:13: error: rule "a": invalid priority 'LOUD'; want one of EMERGENCY, ALERT, CRITICAL, ERROR, WARNING, NOTICE, INFORMATIONAL (or INFO), DEBUG
 4 |   priority: LOUD
   |             ^

t.yaml:7:3: warning: rule "b": 'append' is deprecated; add an 'append' entry under 'override' instead (e.g. 'override: {condition: append}')
 7 |   append: true
   |   ^

t.yaml:5:3: error: rule "b": cannot append to an undefined rule; define the rule first
 5 | - rule: b
   |   ^

t.yaml:9:10: error: list "l": value of 'items' must be a sequence, not a scalar
 9 |   items: 3
   |          ^`,
	},
	{
		name: "invalid names",
		src:  "- list: \"a b\"\n  items: []\n- macro: 1m\n  condition: x\n",
		want: `t.yaml:1:9: warning: list "a b": invalid list name; list names should match the regular expression ([^()"'[:space:]=,]+)
 1 | - list: "a b"
   |         ^

t.yaml:3:10: warning: macro "1m": invalid macro name; macro names should match the regular expression ([a-zA-Z]+[a-zA-Z0-9_]*)
 3 | - macro: 1m
   |          ^

t.yaml:3:3: warning: macro "1m": macro not referred to by any rule or other macro
 3 | - macro: 1m
   |   ^

t.yaml:1:3: warning: list "a b": list not referred to by any rule, macro or other list
 1 | - list: "a b"
   |   ^`,
	},
	{
		name: "engine version bare number too new",
		src:  "- required_engine_version: 63\n",
		want: `t.yaml:1:28: error: required_engine_version: rules require engine version 0.63.0, but Kestrel implements engine version 0.62.0
 1 | - required_engine_version: 63
   |                            ^`,
	},
	{
		name: "engine version other major",
		src:  "- required_engine_version: 1.0.0\n",
		want: `t.yaml:1:28: error: required_engine_version: rules require engine version 1.0.0, but Kestrel implements engine version 0.62.0
 1 | - required_engine_version: 1.0.0
   |                            ^`,
	},
	{
		name: "engine version two numbers",
		src:  "- required_engine_version: 0.62\n",
		want: `t.yaml:1:28: error: required_engine_version: cannot parse engine version '0.62'; want a minor version number or x.y.z
 1 | - required_engine_version: 0.62
   |                            ^`,
	},
	{
		name: "plugin requirement unknown key",
		src:  "- required_plugin_versions:\n    - name: k8saudit\n      version: 0.1.0\n      verison: 0.2.0\n",
		want: `t.yaml:4:7: warning: required_plugin_versions: unknown key 'verison'; the key is ignored
 4 |       verison: 0.2.0
   |       ^`,
	},
	{
		name: "error behind an alias",
		src:  "- list: a\n  items: &x [p, {q: r}, [s]]\n- list: b\n  items: *x\n- list: c\n  items: *x\n",
		want: `t.yaml:2:17: error: list "a": each entry of 'items' must be a scalar, not a mapping
 2 |   items: &x [p, {q: r}, [s]]
   |                 ^

t.yaml:2:25: error: list "a": each entry of 'items' must be a scalar, not a sequence
 2 |   items: &x [p, {q: r}, [s]]
   |                         ^

t.yaml:4:10: error: list "b": each entry of 'items' must be a scalar, not a mapping
 4 |   items: *x
   |          ^

t.yaml:6:10: error: list "c": each entry of 'items' must be a scalar, not a mapping
 6 |   items: *x
   |          ^`,
	},
	{
		name: "alias before its anchor",
		src:  "- list: a\n  items: [p]\n- rule: r\n  desc: d\n  condition: proc.name in (a)\n  output: o\n  priority: INFO\n  exceptions: *e\n- rule: s\n  desc: d\n  condition: proc.name in (a)\n  output: o\n  priority: INFO\n  exceptions: &e\n    - name: x\n      fields: [proc.name]\n      values: [[a, b]]\n",
		want: `t.yaml:8:15: error: invalid YAML: unknown anchor 'e' referenced
 8 |   exceptions: *e
   |               ^`,
	},
	{
		name: "errors inside an aliased exception",
		src:  "- list: a\n  items: [p]\n- rule: s\n  desc: d\n  condition: proc.name in (a)\n  output: o\n  priority: INFO\n  exceptions: &e\n    - name: x\n      fields: [proc.name]\n      comps: [in, in]\n      values: [[a, b]]\n- rule: r\n  desc: d\n  condition: proc.name in (a)\n  output: o\n  priority: INFO\n  exceptions: *e\n",
		want: `t.yaml:11:14: error: rule "s": exception 'x': fields and comps must have the same length (1 fields, 2 comps)
 11 |       comps: [in, in]
    |              ^

t.yaml:18:15: error: rule "r": exception 'x': fields and comps must have the same length (1 fields, 2 comps)
 18 |   exceptions: *e
    |               ^

t.yaml:1:3: warning: list "a": list not referred to by any rule, macro or other list
 1 | - list: a
   |   ^`,
	},
	{
		name: "list refers to itself",
		src:  "- list: a\n  items: [x, a]\n- list: b\n  items: [y]\n- list: b\n  items: [b]\n  override:\n    items: append\n- rule: r\n  desc: d\n  condition: proc.name in (a, b)\n  output: o\n  priority: INFO\n",
		want: `t.yaml:2:14: warning: list "a": list refers to itself (a -> a); the name stays a plain value, as in Falco
 2 |   items: [x, a]
   |              ^

t.yaml:6:11: warning: list "b": list refers to itself (b -> b); the name stays a plain value, as in Falco
 6 |   items: [b]
   |           ^`,
	},
}
