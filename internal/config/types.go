package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"

	"go.yaml.in/yaml/v3"
)

// Include is one entry of config_files: a file, or a directory whose
// regular files are merged in name order. In the file it is either a
// path or a mapping {path, strategy}.
type Include struct {
	Path string `yaml:"path"`
	// Strategy is how the included keys meet the ones already read:
	// "append" (lists are extended, other keys replaced), "override"
	// (every key replaced) or "add-only" (only missing keys are added).
	Strategy string `yaml:"strategy" enum:"append,override,add-only"`
}

// The merge strategies of config_files.
const (
	StrategyAppend   = "append"
	StrategyOverride = "override"
	StrategyAddOnly  = "add-only"
)

func (in *Include) setDefaults() { in.Strategy = StrategyAppend }

func (in *Include) fromScalar(s string) { in.Path = s }

func (in Include) encodeNode() *yaml.Node {
	if in.Strategy == StrategyAppend || in.Strategy == "" {
		return strNode(in.Path)
	}
	return mapNode("path", strNode(in.Path), "strategy", strNode(in.Strategy))
}

// RuleSelection is one entry of rules: it enables or disables the rules
// whose name matches Rule (where * stands for any run of characters) and
// the rules tagged Tag. Entries apply in order, after the rules files.
type RuleSelection struct {
	Enable bool
	Rule   string
	Tag    string
}

// ruleTarget is the mapping under "enable" or "disable".
type ruleTarget struct {
	Rule string `yaml:"rule"`
	Tag  string `yaml:"tag"`
}

func (rs *RuleSelection) decodeNode(l *loader, a at) {
	if a.n.Kind != yaml.MappingNode {
		l.errorf(a, "want a mapping with enable or disable, got %s", describe(a.n))
		return
	}
	if len(a.n.Content) != 2 {
		l.errorf(a, "want exactly one of enable or disable")
		return
	}
	k := l.enter(a.n.Content[0], a.path, a.src)
	switch k.n.Value {
	case "enable":
		rs.Enable = true
	case "disable":
	default:
		l.bad[a.path] = true
		l.unknownKey(k, a.path, k.n.Value, []string{"enable", "disable"})
		return
	}
	var t ruleTarget
	l.value(valueOf(&t), l.enter(a.n.Content[1], a.path+"."+k.n.Value, k.src))
	rs.Rule, rs.Tag = t.Rule, t.Tag
}

func (rs RuleSelection) encodeNode() *yaml.Node {
	var kv []any
	if rs.Rule != "" {
		kv = append(kv, "rule", strNode(rs.Rule))
	}
	if rs.Tag != "" {
		kv = append(kv, "tag", strNode(rs.Tag))
	}
	op := "disable"
	if rs.Enable {
		op = "enable"
	}
	return mapNode(op, mapNode(kv...))
}

// AppendOutput is one entry of append_output: text and fields added to
// the alerts of the rules it matches.
type AppendOutput struct {
	Match AppendMatch `yaml:"match"`
	// ExtraOutput is appended to the output text; it may use %fields.
	ExtraOutput string `yaml:"extra_output"`
	// ExtraFields are added to the output fields only.
	ExtraFields []ExtraField `yaml:"extra_fields"`
	// SuggestedOutput appends the fields the sources suggest.
	SuggestedOutput bool `yaml:"suggested_output"`
}

// AppendMatch selects alerts; an empty AppendMatch selects all. Every
// condition given must hold.
type AppendMatch struct {
	Source string `yaml:"source"`
	// Tags are tags the rule must all have.
	Tags []string `yaml:"tags"`
	Rule string   `yaml:"rule"`
}

// ExtraField is one output field added by append_output: a field of the
// rules language (Name only, e.g. "evt.hostname"), or a name with an
// output format of its own ({name: format}).
type ExtraField struct {
	Name   string
	Format string
}

func (f *ExtraField) fromScalar(s string) { f.Name = s }

func (f *ExtraField) decodeNode(l *loader, a at) {
	if a.n.Kind != yaml.MappingNode || len(a.n.Content) != 2 {
		l.errorf(a, "want a field name or one name: format pair, got %s", describe(a.n))
		return
	}
	k := l.enter(a.n.Content[0], a.path, a.src)
	if k.n.Kind != yaml.ScalarNode {
		l.errorf(k, "want a field name, got %s", describe(k.n))
		return
	}
	f.Name = k.n.Value
	l.value(valueOf(&f.Format), l.enter(a.n.Content[1], a.path+"."+f.Name, k.src))
}

func (f ExtraField) encodeNode() *yaml.Node {
	if f.Format == "" {
		return strNode(f.Name)
	}
	return mapNode(f.Name, strNode(f.Format))
}

// Duration is a time span written the way Prometheus writes durations,
// the form of Falco's metrics.interval: whole numbers with units in
// decreasing order among y, w, d, h, m, s and ms, e.g. "1h30m" or
// "500ms". A day is 24h, a week 7d, a year 365d.
type Duration time.Duration

// durationUnits are the units of [Duration] in the order they must appear.
var durationUnits = [...]struct {
	name string
	d    time.Duration
}{
	{"y", 365 * 24 * time.Hour},
	{"w", 7 * 24 * time.Hour},
	{"d", 24 * time.Hour},
	{"h", time.Hour},
	{"m", time.Minute},
	{"s", time.Second},
	{"ms", time.Millisecond},
}

// ParseDuration parses a [Duration]. Spaces are ignored, as Falco does.
func ParseDuration(s string) (Duration, error) {
	rest := strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
	if rest == "" {
		return 0, fmt.Errorf("invalid duration %q: empty", s)
	}
	var total time.Duration
	next := 0 // index of the first unit still allowed
	for rest != "" {
		n, unit, tail, ok := durationTerm(rest)
		if !ok {
			return 0, fmt.Errorf("invalid duration %q: want a number and unit, e.g. 30s, 15m or 1h30m", s)
		}
		i := unitIndex(unit, next)
		if i < 0 {
			return 0, fmt.Errorf("invalid duration %q: units must be among y, w, d, h, m, s, ms, largest first", s)
		}
		if n > uint64((math.MaxInt64-total)/durationUnits[i].d) {
			return 0, fmt.Errorf("invalid duration %q: too long", s)
		}
		total += time.Duration(n) * durationUnits[i].d
		next, rest = i+1, tail
	}
	return Duration(total), nil
}

// durationTerm splits "15m30s" into 15, "m" and "30s".
func durationTerm(s string) (n uint64, unit, tail string, ok bool) {
	d := 0
	for d < len(s) && s[d] >= '0' && s[d] <= '9' {
		d++
	}
	u := d
	for u < len(s) && (s[u] < '0' || s[u] > '9') {
		u++
	}
	if d == 0 || u == d {
		return 0, "", "", false
	}
	n, err := strconv.ParseUint(s[:d], 10, 64)
	return n, s[d:u], s[u:], err == nil
}

func unitIndex(unit string, from int) int {
	for i := from; i < len(durationUnits); i++ {
		if durationUnits[i].name == unit {
			return i
		}
	}
	return -1
}

// String returns d in the form [ParseDuration] reads, e.g. "1h30m";
// parts below a millisecond are dropped.
func (d Duration) String() string {
	left := time.Duration(d)
	if left < 0 {
		return "-" + Duration(-left).String()
	}
	var b strings.Builder
	for _, u := range durationUnits {
		if n := left / u.d; n > 0 {
			b.WriteString(strconv.FormatInt(int64(n), 10) + u.name)
			left -= n * u.d
		}
	}
	if b.Len() == 0 {
		return "0s"
	}
	return b.String()
}

// Sources are the event sources other than syscall.
type Sources struct {
	K8sAudit K8sAudit `yaml:"k8s_audit"`
	GitHub   GitHub   `yaml:"github"`
	Okta     Okta     `yaml:"okta"`
	// CloudTrail is under Falco's source name.
	CloudTrail CloudTrail `yaml:"aws_cloudtrail"`
}

// K8sAudit is the Kubernetes audit source: its webhook and its log files.
type K8sAudit struct {
	Enabled        bool     `yaml:"enabled"`
	ListenAddress  string   `yaml:"listen_address"`
	ListenPort     int      `yaml:"listen_port" min:"0" max:"65535"`
	Path           string   `yaml:"path"`
	SSLCertificate string   `yaml:"ssl_certificate"`
	SSLKey         string   `yaml:"ssl_key"`
	MaxBodySize    int      `yaml:"max_body_size" min:"1"`
	MaxEventSize   int      `yaml:"max_event_size" min:"1"`
	Files          []string `yaml:"files"`
	Follow         bool     `yaml:"follow"`
	QueueSize      int      `yaml:"queue_size" min:"1"`
}

// The defaults of the Kubernetes audit source: those of Falco's k8saudit
// plugin.
const (
	defaultK8sAuditPort      = 9765
	defaultK8sAuditPath      = "/k8s-audit"
	defaultK8sAuditBody      = 12 * 1024 * 1024
	defaultK8sAuditEventSize = 262144
	defaultK8sAuditQueue     = 4096
)

// GitHub is the GitHub source: a webhook receiver for the repository and
// organization events GitHub delivers, and the API it asks for diffs.
type GitHub struct {
	Enabled           bool     `yaml:"enabled"`
	ListenAddress     string   `yaml:"listen_address"`
	ListenPort        int      `yaml:"listen_port" min:"0" max:"65535"`
	Path              string   `yaml:"path"`
	WebhookSecret     string   `yaml:"webhook_secret"`
	WebhookSecretFile string   `yaml:"webhook_secret_file"`
	Token             string   `yaml:"token"`
	TokenFile         string   `yaml:"token_file"`
	SSLCertificate    string   `yaml:"ssl_certificate"`
	SSLKey            string   `yaml:"ssl_key"`
	APIURL            string   `yaml:"api_url"`
	APITimeout        Duration `yaml:"api_timeout"`
	MaxBodySize       int      `yaml:"max_body_size" min:"1"`
	DisableScans      bool     `yaml:"disable_scans"`
	QueueSize         int      `yaml:"queue_size" min:"1"`
}

// The defaults of the GitHub source: those of Falco's github plugin.
const (
	defaultGitHubPath       = "/"
	defaultGitHubAPIURL     = "https://api.github.com"
	defaultGitHubAPITimeout = 5 * time.Second
	defaultGitHubBody       = 25 << 20
	defaultSourceQueue      = 4096
)

func defaultGitHub() GitHub {
	return GitHub{
		ListenAddress: "0.0.0.0",
		Path:          defaultGitHubPath,
		APIURL:        defaultGitHubAPIURL,
		APITimeout:    Duration(defaultGitHubAPITimeout),
		MaxBodySize:   defaultGitHubBody,
		QueueSize:     defaultSourceQueue,
	}
}

// CloudTrail is the AWS CloudTrail source: log files, S3 prefixes and SQS
// queues of S3 notifications. The keys after inputs are those of Falco's
// cloudtrail plugin.
type CloudTrail struct {
	Enabled               bool          `yaml:"enabled"`
	Inputs                []string      `yaml:"inputs"`
	SQSDelete             bool          `yaml:"sqs_delete"`
	S3DownloadConcurrency int           `yaml:"s3_download_concurrency" min:"1"`
	S3Interval            string        `yaml:"s3_interval"`
	S3AccountList         string        `yaml:"s3_account_list"`
	SQSOwnerAccount       string        `yaml:"sqs_owner_account"`
	SQSWaitSeconds        int           `yaml:"sqs_wait_seconds" min:"1" max:"20"`
	RetryInterval         Duration      `yaml:"retry_interval"`
	MaxAttempts           int           `yaml:"max_attempts" min:"1"`
	MaxRecordSize         int           `yaml:"max_record_size" min:"1"`
	AWS                   CloudTrailAWS `yaml:"aws"`
	QueueSize             int           `yaml:"queue_size" min:"1"`
}

// CloudTrailAWS overrides where the AWS SDK finds its configuration and
// the endpoints it calls.
type CloudTrailAWS struct {
	Profile     string `yaml:"profile"`
	Region      string `yaml:"region"`
	Config      string `yaml:"config"`
	Credentials string `yaml:"credentials"`
	Endpoint    string `yaml:"endpoint"`
	S3Endpoint  string `yaml:"s3_endpoint"`
	SQSEndpoint string `yaml:"sqs_endpoint"`
}

func defaultCloudTrail() CloudTrail {
	return CloudTrail{
		SQSDelete:             true,
		S3DownloadConcurrency: 32,
		SQSWaitSeconds:        20,
		RetryInterval:         Duration(time.Second),
		MaxAttempts:           5,
		MaxRecordSize:         1 << 20,
		QueueSize:             defaultSourceQueue,
	}
}

// Okta is the Okta source: the organization's System Log, polled through
// its API. The keys are those of Falco's okta plugin, and Kestrel's.
type Okta struct {
	Enabled          bool     `yaml:"enabled"`
	Organization     string   `yaml:"organization"`
	APIToken         string   `yaml:"api_token"`
	RefreshInterval  Duration `yaml:"refresh_interval"`
	CacheExpiration  Duration `yaml:"cache_expiration"`
	CacheUserMaxSize int      `yaml:"cache_usermaxsize" min:"1"`
	CacheMaxUsers    int      `yaml:"cache_maxusers" min:"1"`
	BaseURL          string   `yaml:"base_url"`
	Limit            int      `yaml:"limit" min:"1" max:"1000"`
	MaxEventSize     int      `yaml:"max_event_size" min:"1"`
	QueueSize        int      `yaml:"queue_size" min:"1"`
}

// The defaults of the Okta source: those of Falco's okta plugin.
const (
	defaultOktaRefresh       = 10 * time.Second
	defaultOktaCacheExpiry   = 84600 * time.Second
	defaultOktaCacheUserSize = 200
	defaultOktaCacheUsers    = 10000
	defaultOktaLimit         = 1000
	defaultOktaEventSize     = 1 << 20
)

func defaultOkta() Okta {
	return Okta{
		RefreshInterval:  Duration(defaultOktaRefresh),
		CacheExpiration:  Duration(defaultOktaCacheExpiry),
		CacheUserMaxSize: defaultOktaCacheUserSize,
		CacheMaxUsers:    defaultOktaCacheUsers,
		Limit:            defaultOktaLimit,
		MaxEventSize:     defaultOktaEventSize,
		QueueSize:        defaultSourceQueue,
	}
}

func defaultK8sAudit() K8sAudit {
	return K8sAudit{
		ListenAddress: "0.0.0.0",
		ListenPort:    defaultK8sAuditPort,
		Path:          defaultK8sAuditPath,
		MaxBodySize:   defaultK8sAuditBody,
		MaxEventSize:  defaultK8sAuditEventSize,
		Follow:        true,
		QueueSize:     defaultK8sAuditQueue,
	}
}
