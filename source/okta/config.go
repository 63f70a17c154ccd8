package okta

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The defaults of the System Log poller: the okta plugin's refresh
// interval, the page size asked for (the API's largest) and the largest
// page read.
const (
	DefaultRefreshInterval = 10 * time.Second
	DefaultLimit           = 1000
	DefaultMaxPageSize     = 64 << 20
)

// ErrBadConfig is wrapped by the errors about a Config that cannot work.
var ErrBadConfig = errors.New("bad okta configuration")

// Config is the configuration of the okta source: the okta plugin's
// init_config keys, with their meanings, and Kestrel's own. The zero
// value of each setting but Organization and APIToken is its default.
type Config struct {
	// Organization is the Okta organization: its name, as myorg in
	// https://myorg.okta.com, or its host name (myorg.oktapreview.com,
	// login.example.com). It is also the value of okta.org.
	Organization string `yaml:"organization"`
	// APIToken is the API token the System Log is read with.
	APIToken string `yaml:"api_token"`
	// RefreshInterval is the delay in seconds between two polls once the
	// log is read to its end; 10 when 0.
	RefreshInterval uint64 `yaml:"refresh_interval"`
	// CacheExpiration is how long, in seconds of event time, a user's
	// MFA counts are kept after their last MFA event; 84600 when 0.
	CacheExpiration uint64 `yaml:"cache_expiration"`
	// CacheUserMaxSize bounds the MFA event times kept per user; 200
	// when 0.
	CacheUserMaxSize uint64 `yaml:"cache_usermaxsize"`
	// UseAsync is accepted for the okta plugin's configurations; it has
	// no effect.
	UseAsync bool `yaml:"useAsync"`

	// CacheMaxUsers bounds the users whose MFA counts are kept;
	// DefaultCacheMaxUsers when 0.
	CacheMaxUsers int `yaml:"cache_maxusers"`
	// BaseURL, when set, is where the API is instead of the
	// organization's https URL (a proxy, or a test server).
	BaseURL string `yaml:"base_url"`
	// Limit is the number of events asked for per page; DefaultLimit
	// when 0.
	Limit int `yaml:"limit"`
	// MaxEventSize bounds one event, in bytes; DefaultMaxEventSize when 0.
	MaxEventSize int `yaml:"max_event_size"`
	// Client, when set, makes the requests; a client with a one-minute
	// timeout otherwise.
	Client *http.Client `yaml:"-"`

	// second is how long one second of the settings lasts: tests shorten
	// it. A second when 0.
	second time.Duration
}

// NewDecoder returns a Decoder with the organization and the MFA cache
// settings of c.
func (c Config) NewDecoder() *Decoder {
	return &Decoder{
		Organization:     c.Organization,
		CacheExpiration:  time.Duration(min(c.CacheExpiration, 1<<32)) * time.Second,
		CacheUserMaxSize: int(min(c.CacheUserMaxSize, 1<<20)),
		CacheMaxUsers:    c.CacheMaxUsers,
	}
}

// Validate reports what keeps c from polling.
func (c Config) Validate() error {
	if c.APIToken == "" {
		return fmt.Errorf("%w: api_token is required", ErrBadConfig)
	}
	_, err := c.endpoint()
	return err
}

// endpoint returns the URL of the System Log API.
func (c Config) endpoint() (*url.URL, error) {
	base := strings.TrimSuffix(c.BaseURL, "/")
	if base == "" {
		host := strings.TrimSuffix(strings.TrimPrefix(c.Organization, "https://"), "/")
		switch {
		case host == "":
			return nil, fmt.Errorf("%w: organization is required", ErrBadConfig)
		case !strings.Contains(host, "."):
			host += ".okta.com"
		}
		base = "https://" + host
	}
	u, err := url.Parse(base + "/api/v1/logs")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadConfig, err)
	}
	if u.Scheme != "https" && u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("%w: %q is no http or https URL", ErrBadConfig, base)
	}
	return u, nil
}

// unit returns how long one second of the settings lasts.
func (c Config) unit() time.Duration {
	if c.second <= 0 {
		return time.Second
	}
	return c.second
}

func (c Config) refresh() time.Duration {
	if c.RefreshInterval == 0 {
		return DefaultRefreshInterval / time.Second * c.unit()
	}
	return time.Duration(min(c.RefreshInterval, 86400)) * c.unit()
}

func (c Config) limit() int {
	if c.Limit <= 0 {
		return DefaultLimit
	}
	return c.Limit
}
