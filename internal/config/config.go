package config

import (
	"slices"
	"time"

	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/rules"
)

// Config is Kestrel's configuration. The yaml tag of each field is its key
// in the file, the same as falco.yaml's where the meaning is the same; the
// meaning of each key is in the description table of meta.go, which also
// feeds [Schema] and [Example]. Tags that drive decoding and validation:
//
//	enum:"a,b"   the value (or each item of a list) is one of these words
//	min:"0"      the number is at least this
//	max:"65535"  the number is at most this
//	alias:"x"    an older key name, read with a deprecation warning
type Config struct {
	// ConfigFiles are the files and directories merged into this one.
	ConfigFiles      []Include `yaml:"config_files"`
	WatchConfigFiles bool      `yaml:"watch_config_files"`

	// RulesFiles are rules files and directories in load order; empty
	// means Kestrel's embedded rules.
	RulesFiles []string        `yaml:"rules_files" alias:"rules_file"`
	Rules      []RuleSelection `yaml:"rules"`

	TimeFormatISO8601               bool            `yaml:"time_format_iso_8601"`
	Priority                        rules.Priority  `yaml:"priority"`
	JSONOutput                      bool            `yaml:"json_output"`
	JSONIncludeOutputProperty       bool            `yaml:"json_include_output_property"`
	JSONIncludeMessageProperty      bool            `yaml:"json_include_message_property"`
	JSONIncludeOutputFieldsProperty bool            `yaml:"json_include_output_fields_property"`
	JSONIncludeTagsProperty         bool            `yaml:"json_include_tags_property"`
	BufferedOutputs                 bool            `yaml:"buffered_outputs"`
	RuleMatching                    engine.Matching `yaml:"rule_matching"`
	OutputsQueue                    OutputsQueue    `yaml:"outputs_queue"`
	AppendOutput                    []AppendOutput  `yaml:"append_output"`
	// StaticFields are fields with fixed values, usable in rules as
	// static.<name>.
	StaticFields map[string]string `yaml:"static_fields"`

	StdoutOutput  StdoutOutput  `yaml:"stdout_output"`
	SyslogOutput  SyslogOutput  `yaml:"syslog_output"`
	FileOutput    FileOutput    `yaml:"file_output"`
	HTTPOutput    HTTPOutput    `yaml:"http_output"`
	ProgramOutput ProgramOutput `yaml:"program_output"`

	Webserver Webserver `yaml:"webserver"`

	LogStderr bool   `yaml:"log_stderr"`
	LogSyslog bool   `yaml:"log_syslog"`
	LogLevel  string `yaml:"log_level" enum:"emergency,alert,critical,error,warning,notice,info,debug"`

	SyscallEventDrops SyscallEventDrops `yaml:"syscall_event_drops"`
	Metrics           Metrics           `yaml:"metrics"`
	BaseSyscalls      BaseSyscalls      `yaml:"base_syscalls"`
	ContainerEngines  ContainerEngines  `yaml:"container_engines"`
	// KernelFilter is Kestrel's own key: the pre-filters pushed into the
	// probe.
	KernelFilter KernelFilter `yaml:"kernel_filter"`
	// Capture is the flight recorder: the recent past kept in memory and
	// written as a capture file when a rule marked for capture fires.
	Capture Capture `yaml:"capture"`
	// Sources are the event sources other than syscall, each judged by
	// the rules of its source.
	Sources Sources `yaml:"sources"`

	// Files are the configuration files read, the main one first, in the
	// order they were merged; not a key of the file.
	Files []string `yaml:"-"`
}

// OutputsQueue bounds the queue between the rules and the outputs.
type OutputsQueue struct {
	// Capacity is the number of alerts the queue holds; 0 is unbounded.
	Capacity int `yaml:"capacity" min:"0"`
}

// StdoutOutput writes alerts to standard output.
type StdoutOutput struct {
	Enabled bool `yaml:"enabled"`
}

// SyslogOutput sends alerts to the syslog socket.
type SyslogOutput struct {
	Enabled bool `yaml:"enabled"`
	// Path is the syslog socket (Kestrel key).
	Path string `yaml:"path"`
	// Facility is the syslog facility name (Kestrel key).
	Facility string `yaml:"facility" enum:"kern,user,mail,daemon,auth,syslog,lpr,news,uucp,cron,authpriv,ftp,local0,local1,local2,local3,local4,local5,local6,local7"`
}

// FileOutput appends alerts to a file.
type FileOutput struct {
	Enabled   bool   `yaml:"enabled"`
	KeepAlive bool   `yaml:"keep_alive"`
	Filename  string `yaml:"filename"`
}

// HTTPOutput posts alerts to a URL.
type HTTPOutput struct {
	Enabled                bool   `yaml:"enabled"`
	URL                    string `yaml:"url"`
	UserAgent              string `yaml:"user_agent"`
	Insecure               bool   `yaml:"insecure"`
	CACert                 string `yaml:"ca_cert"`
	CABundle               string `yaml:"ca_bundle"`
	CAPath                 string `yaml:"ca_path"`
	MTLS                   bool   `yaml:"mtls"`
	ClientCert             string `yaml:"client_cert"`
	ClientKey              string `yaml:"client_key"`
	Echo                   bool   `yaml:"echo"`
	CompressUploads        bool   `yaml:"compress_uploads"`
	KeepAlive              bool   `yaml:"keep_alive"`
	MaxConsecutiveTimeouts int    `yaml:"max_consecutive_timeouts" min:"0" max:"255"`
	// Headers are added to every request (Kestrel key).
	Headers map[string]string `yaml:"headers"`
	// Timeout bounds one request (Kestrel key).
	Timeout Duration `yaml:"timeout"`
	// Retries is how many times a failed request is sent again (Kestrel key).
	Retries int `yaml:"retries" min:"0"`
}

// ProgramOutput pipes alerts to a shell command.
type ProgramOutput struct {
	Enabled   bool   `yaml:"enabled"`
	KeepAlive bool   `yaml:"keep_alive"`
	Program   string `yaml:"program"`
}

// Webserver is the embedded HTTP server: health check, versions and
// Prometheus metrics.
type Webserver struct {
	Enabled                  bool   `yaml:"enabled"`
	ListenAddress            string `yaml:"listen_address"`
	ListenPort               int    `yaml:"listen_port" min:"0" max:"65535"`
	K8sHealthzEndpoint       string `yaml:"k8s_healthz_endpoint"`
	PrometheusMetricsEnabled bool   `yaml:"prometheus_metrics_enabled"`
	SSLEnabled               bool   `yaml:"ssl_enabled"`
	// SSLCertificate is one PEM file holding the certificate and its key.
	SSLCertificate string `yaml:"ssl_certificate"`
}

// SyscallEventDrops says what to do when the kernel drops events.
type SyscallEventDrops struct {
	Threshold     float64  `yaml:"threshold" min:"0" max:"1"`
	Actions       []string `yaml:"actions" enum:"ignore,log,alert,exit"`
	Rate          float64  `yaml:"rate" min:"0"`
	MaxBurst      int      `yaml:"max_burst" min:"0"`
	SimulateDrops bool     `yaml:"simulate_drops"`
}

// Metrics configures the periodic metrics snapshot.
type Metrics struct {
	Enabled                          bool     `yaml:"enabled"`
	Interval                         Duration `yaml:"interval"`
	OutputRule                       bool     `yaml:"output_rule"`
	OutputFile                       string   `yaml:"output_file"`
	RulesCountersEnabled             bool     `yaml:"rules_counters_enabled"`
	ResourceUtilizationEnabled       bool     `yaml:"resource_utilization_enabled"`
	StateCountersEnabled             bool     `yaml:"state_counters_enabled"`
	KernelEventCountersEnabled       bool     `yaml:"kernel_event_counters_enabled"`
	KernelEventCountersPerCPUEnabled bool     `yaml:"kernel_event_counters_per_cpu_enabled"`
	LibbpfStatsEnabled               bool     `yaml:"libbpf_stats_enabled"`
	ConvertMemoryToMB                bool     `yaml:"convert_memory_to_mb"`
	IncludeEmptyValues               bool     `yaml:"include_empty_values"`
}

// BaseSyscalls tunes which system calls the probe traces beyond those
// the rules need.
type BaseSyscalls struct {
	// CustomSet holds syscall names to add, or "!name" to remove.
	CustomSet []string `yaml:"custom_set"`
	Repair    bool     `yaml:"repair"`
	// All also runs rules on the high-volume events skipped by default.
	All bool `yaml:"all"`
}

// KernelFilter turns the kernel-side pre-filters on or off, and chooses
// how the probe catches the traced system calls.
type KernelFilter struct {
	Enabled         bool   `yaml:"enabled"`
	PerSyscallHooks string `yaml:"per_syscall_hooks" enum:"auto,off"`
}

// Capture configures captures on alert (Falco's capture key) and the
// recording ring they are taken from (Kestrel's keys).
type Capture struct {
	Enabled bool `yaml:"enabled"`
	// PathPrefix starts each capture's file name:
	// PREFIX_<ts>_<event number>.scap, as Falco names them.
	PathPrefix string `yaml:"path_prefix"`
	// Mode is "rules" (rules with capture: true) or "all_rules".
	Mode string `yaml:"mode" enum:"rules,all_rules"`
	// DefaultDuration is how long, in milliseconds, a capture goes on
	// after the alert when its rule has no capture_duration.
	DefaultDuration int `yaml:"default_duration" min:"1"`
	// CaptureEvents ends a capture after this many events; 0: no limit.
	CaptureEvents int `yaml:"capture_events" min:"0"`
	// MaxFileSizeMB ends a capture once its file reaches this size; 0:
	// no limit.
	MaxFileSizeMB int `yaml:"max_file_size_mb" min:"0"`
	// BeforeDuration is how far, in milliseconds, a capture reaches back
	// before the alert (Kestrel key).
	BeforeDuration int `yaml:"before_duration" min:"0"`
	// RingSizeMB is the memory the recording ring may use (Kestrel key).
	RingSizeMB int `yaml:"ring_size_mb" min:"1"`
	// MaxFiles bounds the captures kept; the oldest are removed first;
	// 0: no limit (Kestrel key).
	MaxFiles int `yaml:"max_files" min:"0"`
	// MaxTotalMB bounds the disk the captures take together; the oldest
	// are removed first; 0: no limit (Kestrel key).
	MaxTotalMB int `yaml:"max_total_mb" min:"0"`
	// Scope is the part of the host a capture shows: all, process_tree
	// (the alert's process tree) or container (the alert's container, or
	// its pod's containers); the other events are left out, or written
	// state-only when a reader needs them (Kestrel key).
	Scope string `yaml:"scope" enum:"all,process_tree,container"`
	// Syscalls are the system calls the probe traces, besides the rules',
	// while the recorder is on, so that captures hold them (Kestrel key).
	// With an open syscall among them, the kernel filter is off: a
	// capture needs every open to name the fds of the events it shows.
	Syscalls []string `yaml:"syscalls"`
}

// The capture modes.
const (
	CaptureModeRules    = "rules"
	CaptureModeAllRules = "all_rules"
)

// DefaultCaptureSyscalls are the system calls a capture holds besides
// the rules' by default: the changes of files and of the file tree,
// processes, network endpoints, credentials and mounts that an
// investigation follows, and the fds they make. Reads, writes, sends and
// receives are left out: they are most of a busy host's syscalls; add
// them (read, write, sendto, recvfrom…) when the captures should hold
// the data.
var DefaultCaptureSyscalls = []string{
	// Files and their fds.
	"open", "openat", "openat2", "creat", "close", "dup", "dup2", "dup3", "pipe", "pipe2", "memfd_create",
	"chmod", "fchmod", "fchmodat", "chown", "fchown", "fchownat", "lchown",
	"rename", "renameat", "renameat2", "unlink", "unlinkat", "mkdir", "mkdirat", "rmdir",
	"symlink", "symlinkat", "link", "linkat", "truncate", "ftruncate", "chdir", "fchdir", "chroot",
	// Processes.
	"execve", "execveat", "clone", "clone3", "fork", "vfork", "kill", "tgkill", "ptrace", "prctl", "setsid",
	"setns", "unshare", "init_module", "finit_module", "bpf",
	// Network.
	"socket", "socketpair", "connect", "accept", "accept4", "bind", "listen", "shutdown",
	// Credentials.
	"setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "capset",
	// Mounts.
	"mount", "umount2",
}

func defaultCapture() Capture {
	return Capture{
		PathPrefix:      "/tmp/kestrel",
		Mode:            CaptureModeRules,
		DefaultDuration: 5000,
		BeforeDuration:  5000,
		RingSizeMB:      64,
		MaxFiles:        100,
		MaxTotalMB:      1024,
		Scope:           "all",
		Syscalls:        slices.Clone(DefaultCaptureSyscalls),
	}
}

// ContainerEngines says which container runtimes Kestrel asks for the
// metadata of the containers it sees (names, images, labels, pods), and
// on which sockets. Falco's key, with sockets for every runtime.
type ContainerEngines struct {
	// HostRoot is where the host's root is mounted when Kestrel runs in
	// a container; the sockets are looked for below it. Empty: the
	// HOST_ROOT environment variable, as Falco reads it.
	HostRoot      string   `yaml:"host_root"`
	LookupTimeout Duration `yaml:"lookup_timeout"`
	Docker        Engine   `yaml:"docker"`
	Podman        Engine   `yaml:"podman"`
	Containerd    Engine   `yaml:"containerd"`
	CRI           Engine   `yaml:"cri"`
}

// Engine is one container runtime's API.
type Engine struct {
	Enabled bool `yaml:"enabled"`
	// Sockets: each one that exists is asked; the others are skipped.
	Sockets []string `yaml:"sockets"`
}

// The usual sockets of the runtimes.
var (
	defaultDockerSockets     = []string{"/var/run/docker.sock"}
	defaultPodmanSockets     = []string{"/run/podman/podman.sock", "/run/user/%d/podman/podman.sock"}
	defaultContainerdSockets = []string{"/run/containerd/containerd.sock", "/run/k3s/containerd/containerd.sock"}
	defaultCRISockets        = []string{"/run/containerd/containerd.sock", "/run/crio/crio.sock", "/run/k3s/containerd/containerd.sock"}
)

const defaultLookupTimeout = 2 * time.Second

func defaultContainerEngines() ContainerEngines {
	return ContainerEngines{
		LookupTimeout: Duration(defaultLookupTimeout),
		Docker:        Engine{Enabled: true, Sockets: defaultDockerSockets},
		Podman:        Engine{Enabled: true, Sockets: defaultPodmanSockets},
		Containerd:    Engine{Enabled: true, Sockets: defaultContainerdSockets},
		CRI:           Engine{Enabled: true, Sockets: defaultCRISockets},
	}
}

// The defaults that differ from the zero value.
const (
	defaultUserAgent      = "kestrel-sec/kestrel"
	defaultListenAddress  = "127.0.0.1"
	defaultListenPort     = 8765
	defaultHTTPTimeout    = 10 * time.Second
	defaultHTTPRetries    = 3
	defaultMetricsEvery   = time.Hour
	defaultDropsThreshold = 0.1
	defaultDropsRate      = 0.03333
)

// Default returns the configuration used when there is no file: the
// embedded rules, alerts on standard output, the web server on
// 127.0.0.1:8765, and otherwise the values of Falco's falco.yaml.
func Default() *Config {
	return &Config{
		WatchConfigFiles:                true,
		Priority:                        rules.PriorityDebug,
		RuleMatching:                    engine.MatchFirst,
		JSONIncludeOutputProperty:       true,
		JSONIncludeOutputFieldsProperty: true,
		JSONIncludeTagsProperty:         true,
		AppendOutput:                    []AppendOutput{{SuggestedOutput: true}},
		StdoutOutput:                    StdoutOutput{Enabled: true},
		SyslogOutput:                    SyslogOutput{Path: "/dev/log", Facility: "user"},
		FileOutput:                      FileOutput{Filename: "./events.txt"},
		HTTPOutput:                      defaultHTTPOutput(),
		Webserver:                       defaultWebserver(),
		LogStderr:                       true,
		LogSyslog:                       true,
		LogLevel:                        "info",
		SyscallEventDrops:               defaultDrops(),
		Metrics:                         defaultMetrics(),
		ContainerEngines:                defaultContainerEngines(),
		KernelFilter:                    KernelFilter{Enabled: true, PerSyscallHooks: "auto"},
		Capture:                         defaultCapture(),
		Sources:                         Sources{K8sAudit: defaultK8sAudit(), GitHub: defaultGitHub(), Okta: defaultOkta(), CloudTrail: defaultCloudTrail()},
	}
}

func defaultHTTPOutput() HTTPOutput {
	return HTTPOutput{
		UserAgent:              defaultUserAgent,
		CAPath:                 "/etc/ssl/certs",
		ClientCert:             "/etc/ssl/certs/client.crt",
		ClientKey:              "/etc/ssl/certs/client.key",
		MaxConsecutiveTimeouts: 5,
		Timeout:                Duration(defaultHTTPTimeout),
		Retries:                defaultHTTPRetries,
	}
}

func defaultWebserver() Webserver {
	return Webserver{
		Enabled:            true,
		ListenAddress:      defaultListenAddress,
		ListenPort:         defaultListenPort,
		K8sHealthzEndpoint: "/healthz",
		SSLCertificate:     "/etc/kestrel/kestrel.pem",
	}
}

func defaultDrops() SyscallEventDrops {
	return SyscallEventDrops{
		Threshold: defaultDropsThreshold,
		Actions:   []string{"log", "alert"},
		Rate:      defaultDropsRate,
		MaxBurst:  1,
	}
}

func defaultMetrics() Metrics {
	return Metrics{
		Interval:                   Duration(defaultMetricsEvery),
		OutputRule:                 true,
		RulesCountersEnabled:       true,
		ResourceUtilizationEnabled: true,
		StateCountersEnabled:       true,
		KernelEventCountersEnabled: true,
		LibbpfStatsEnabled:         true,
		ConvertMemoryToMB:          true,
	}
}
