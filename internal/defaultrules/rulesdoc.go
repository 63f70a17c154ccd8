package defaultrules

import (
	"bytes"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/kestrel-sec/kestrel/rules"
)

// Techniques names the MITRE ATT&CK techniques the default rules are
// tagged with, by id.
var Techniques = map[string]string{
	"T1003.008": "OS Credential Dumping: /etc/passwd and /etc/shadow",
	"T1014":     "Rootkit",
	"T1027.011": "Obfuscated Files or Information: Fileless Storage",
	"T1036.005": "Masquerading: Match Legitimate Name or Location",
	"T1037.004": "Boot or Logon Initialization Scripts: RC Scripts",
	"T1040":     "Network Sniffing",
	"T1046":     "Network Service Discovery",
	"T1053.003": "Scheduled Task/Job: Cron",
	"T1055.008": "Process Injection: Ptrace System Calls",
	"T1059":     "Command and Scripting Interpreter",
	"T1059.004": "Command and Scripting Interpreter: Unix Shell",
	"T1068":     "Exploitation for Privilege Escalation",
	"T1070.002": "Indicator Removal: Clear Linux or Mac System Logs",
	"T1070.003": "Indicator Removal: Clear Command History",
	"T1071":     "Application Layer Protocol",
	"T1072":     "Software Deployment Tools",
	"T1078.003": "Valid Accounts: Local Accounts",
	"T1083":     "File and Directory Discovery",
	"T1095":     "Non-Application Layer Protocol",
	"T1098":     "Account Manipulation",
	"T1098.004": "Account Manipulation: SSH Authorized Keys",
	"T1105":     "Ingress Tool Transfer",
	"T1190":     "Exploit Public-Facing Application",
	"T1204.002": "User Execution: Malicious File",
	"T1485":     "Data Destruction",
	"T1496":     "Resource Hijacking",
	"T1505.003": "Server Software Component: Web Shell",
	"T1528":     "Steal Application Access Token",
	"T1542":     "Pre-OS Boot",
	"T1543":     "Create or Modify System Process",
	"T1543.002": "Create or Modify System Process: Systemd Service",
	"T1546":     "Event Triggered Execution",
	"T1546.004": "Event Triggered Execution: Unix Shell Configuration Modification",
	"T1547.006": "Boot or Logon Autostart Execution: Kernel Modules and Extensions",
	"T1548.001": "Abuse Elevation Control Mechanism: Setuid and Setgid",
	"T1552.001": "Unsecured Credentials: Credentials In Files",
	"T1552.004": "Unsecured Credentials: Private Keys",
	"T1552.005": "Unsecured Credentials: Cloud Instance Metadata API",
	"T1554":     "Compromise Host Software Binary",
	"T1561":     "Disk Wipe",
	"T1564":     "Hide Artifacts",
	"T1564.001": "Hide Artifacts: Hidden Files and Directories",
	"T1571":     "Non-Standard Port",
	"T1572":     "Protocol Tunneling",
	"T1574":     "Hijack Execution Flow",
	"T1574.006": "Hijack Execution Flow: Dynamic Linker Hijacking",
	"T1609":     "Container Administration Command",
	"T1611":     "Escape to Host",
	"T1613":     "Container and Resource Discovery",
	"T1620":     "Reflective Code Loading",
	"T1622":     "Debugger Evasion",
}

var techniqueTag = regexp.MustCompile(`^T\d{4}(\.\d{3})?$`)

// TechniqueIDs returns the ATT&CK technique ids among a rule's tags.
func TechniqueIDs(tags []string) []string {
	var ids []string
	for _, t := range tags {
		if techniqueTag.MatchString(t) {
			ids = append(ids, t)
		}
	}
	return ids
}

// Markdown renders the reference page of the embedded rules
// (docs/rules.md): every rule with what it detects and why, its
// priority, ATT&CK techniques, and the lists and exceptions that tune it.
func Markdown() ([]byte, error) {
	spec, ds := rules.LoadBytes(Name, yaml)
	if ds.HasErrors() {
		return nil, fmt.Errorf("%s", ds.String())
	}
	var b bytes.Buffer
	b.WriteString(`# Kestrel's default rules

<!-- Generated from internal/defaultrules/kestrel_rules.yaml by
     "KESTREL_UPDATE_DOCS=1 go test ./internal/defaultrules"; do not edit. -->

Kestrel runs these rules when it is given no rules file. They are written
in the Falco rules language: ` + "`kestrel rules list`" + ` lists them, and the file
` + "`internal/defaultrules/kestrel_rules.yaml`" + ` can be copied, changed and passed
back with ` + "`-r`" + `. Each rule has a triggering case and a benign look-alike in
` + "`internal/defaultrules/kestrel_rules.tests.yaml`" + `, run with
` + "`sudo kestrel rules test internal/defaultrules/kestrel_rules.tests.yaml`" + `.

The rules are quiet by design: installing and removing packages, container
runtimes, systemd and configuration management, building and testing Go and
C projects, git, archives and editing files at home raise nothing.

## Tuning

Tune the rules from a rules file of your own loaded after the defaults
(` + "`-r`" + ` the defaults' copy, then yours), without editing the defaults:

- add items to a list the rule uses:

  ` + "```yaml" + `
  - list: kestrel_credential_clients
    items: [my-backup-agent]
    override:
      items: append
  ` + "```" + `

- add values to one of the rule's exceptions (the fields are given below):

  ` + "```yaml" + `
  - rule: Private key or cloud credential read
    exceptions:
      - name: proc_and_file
        values:
          - [deploy-bot, /srv/deploy/.ssh/id_ed25519]
    override:
      exceptions: append
  ` + "```" + `

- or disable a rule: ` + "`- rule: NAME`" + ` with ` + "`enabled: false`" + ` and
  ` + "`override: {enabled: replace}`" + `.

Rule order matters: with ` + "`rule_matching: first`" + ` (the default), an event raises
only the first rule it matches. Specific rules come first; the general ones
(writes below /etc, system directories, /root and /dev, programs run from
writable places) come last, so one action gives one alert.

Rules on file opens name their paths in forms the kernel pre-filter decides
(` + "`startswith`" + `, ` + "`=`" + `, ` + "`in`" + `, ` + "`fd.directory`" + `, ` + "`fd.filename`" + `): opens that no rule can
match are dropped in the kernel. Keep that form when adding paths.

## Rules

Rule | Priority | ATT&CK
:----|:---------|:------
`)
	for _, r := range spec.Rules {
		var ts []string
		for _, id := range TechniqueIDs(r.Tags) {
			ts = append(ts, id)
		}
		fmt.Fprintf(&b, "[%s](#%s) | %s | %s\n", r.Name, anchor(r.Name), r.Priority, strings.Join(ts, ", "))
	}
	for _, r := range spec.Rules {
		fmt.Fprintf(&b, "\n### %s\n\n", r.Name)
		fmt.Fprintf(&b, "%s\n\n", strings.Join(strings.Fields(r.Desc.Value), " "))
		fmt.Fprintf(&b, "- Priority: %s\n", r.Priority)
		var ts []string
		for _, id := range TechniqueIDs(r.Tags) {
			ts = append(ts, fmt.Sprintf("[%s](https://attack.mitre.org/techniques/%s/) %s", id,
				strings.ReplaceAll(id, ".", "/"), Techniques[id]))
		}
		fmt.Fprintf(&b, "- ATT&CK: %s\n", strings.Join(ts, "; "))
		var tags []string
		for _, t := range r.Tags {
			tags = append(tags, "`"+t+"`")
		}
		fmt.Fprintf(&b, "- Tags: %s\n", strings.Join(tags, ", "))
		if ls := listsOf(spec, r); len(ls) > 0 {
			fmt.Fprintf(&b, "- Lists to tune: %s\n", strings.Join(ls, ", "))
		}
		for _, e := range r.Exceptions {
			fmt.Fprintf(&b, "- Exception `%s`: fields `%s`, comparisons `%s`\n", e.Name,
				strings.Join(e.Fields, ", "), strings.Join(e.Comps, ", "))
		}
	}
	return b.Bytes(), nil
}

// listsOf returns, quoted, the lists a rule's condition uses directly or
// through its macros.
func listsOf(spec *rules.Spec, r *rules.Rule) []string {
	seen := map[string]bool{}
	var walk func(macros, lists []string)
	walk = func(macros, lists []string) {
		for _, l := range lists {
			seen[l] = true
		}
		for _, m := range macros {
			if mm := spec.Macro(m); mm != nil && !seen["macro:"+m] {
				seen["macro:"+m] = true
				walk(mm.UsesMacros, mm.UsesLists)
			}
		}
	}
	walk(r.UsesMacros, r.UsesLists)
	var out []string
	for k := range seen {
		if !strings.HasPrefix(k, "macro:") {
			out = append(out, "`"+k+"`")
		}
	}
	sort.Strings(out)
	return out
}

// anchor is the fragment GitHub gives a heading.
func anchor(s string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_':
			b.WriteRune(c)
		case c == ' ':
			b.WriteByte('-')
		}
	}
	return b.String()
}
