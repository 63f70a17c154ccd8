package cloudtrail

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go/logging"
)

// Config configures reading CloudTrail from S3 and SQS. Its keys are the
// cloudtrail plugin's init_config keys where they mean the same; the
// zero Config is the plugin's defaults.
type Config struct {
	// SQSDelete says whether an SQS message is deleted once the objects
	// it announces are read (a message whose objects could not be read is
	// kept, to come back later); true when not set.
	SQSDelete *bool `yaml:"sqsDelete"`
	// S3DownloadConcurrency is how many S3 objects are downloaded at once;
	// 32 when 0.
	S3DownloadConcurrency int `yaml:"s3DownloadConcurrency"`
	// S3Interval limits reading a bucket to the log files whose names
	// carry a time in the interval: a start ("5d", "2h",
	// "2021-03-30T18:07:17Z") up to now, or "start-end" ("5d-2d",
	// "2023-04-05T06:00:00Z-1d"). Durations count back from now and take
	// w, d, h, m or s. Empty: every file.
	S3Interval string `yaml:"s3Interval"`
	// UseS3SNS is accepted for compatibility: every notification form
	// (S3 events, CloudTrail's own, either wrapped in SNS or not) is
	// recognised by its content.
	UseS3SNS bool `yaml:"useS3SNS"`
	// S3AccountList, with an s3:// prefix ending in AWSLogs/ or
	// AWSLogs/<organization id>/, limits reading to these accounts (a
	// comma-separated list of 12-digit ids).
	S3AccountList string `yaml:"s3AccountList"`
	// SQSOwnerAccount is the account owning the queue, when it is not
	// the caller's.
	SQSOwnerAccount string `yaml:"sqsOwnerAccount"`
	// SQSWaitSeconds is how long one receive waits for messages (SQS long
	// polling, 0 to 20 seconds); 20 when 0.
	SQSWaitSeconds int `yaml:"sqsWaitSeconds"`
	// RetryInterval is the first wait after a failed AWS call; it
	// doubles with each further failure up to a minute. 1s when 0.
	RetryInterval time.Duration `yaml:"retryInterval"`
	// MaxAttempts bounds the attempts at listing a bucket page,
	// downloading an object or deleting a message; 5 when 0. Receiving
	// from SQS is tried for as long as the source runs.
	MaxAttempts int `yaml:"maxAttempts"`
	// MaxRecordSize bounds one record; DefaultMaxRecordSize when 0.
	MaxRecordSize int `yaml:"maxRecordSize"`
	// MaxFileSize bounds one log file after decompression;
	// DefaultMaxFileSize when 0.
	MaxFileSize int64 `yaml:"maxFileSize"`
	// AWS overrides what the SDK finds in the environment and the shared
	// configuration files.
	AWS AWSConfig `yaml:"aws"`
}

// AWSConfig overrides the AWS SDK's configuration. Credentials are found
// the SDK's usual way (environment, shared files, SSO, the instance's
// role, …); these only override where it looks.
type AWSConfig struct {
	// Profile is the shared configuration profile (AWS_PROFILE).
	Profile string `yaml:"profile"`
	// Region is the region (AWS_REGION); us-east-1 when none is found.
	Region string `yaml:"region"`
	// Config is the shared configuration file (AWS_CONFIG_FILE).
	Config string `yaml:"config"`
	// Credentials is the shared credentials file
	// (AWS_SHARED_CREDENTIALS_FILE).
	Credentials string `yaml:"credentials"`
	// Endpoint is the URL of both S3 and SQS, for services compatible
	// with AWS (LocalStack, MinIO, …); S3 is then addressed path-style.
	Endpoint string `yaml:"endpoint"`
	// S3Endpoint and SQSEndpoint override Endpoint for one service.
	S3Endpoint  string `yaml:"s3Endpoint"`
	SQSEndpoint string `yaml:"sqsEndpoint"`
}

func (c *Config) sqsDelete() bool { return c.SQSDelete == nil || *c.SQSDelete }

func (c *Config) concurrency() int {
	if c.S3DownloadConcurrency <= 0 {
		return 32
	}
	return c.S3DownloadConcurrency
}

func (c *Config) waitSeconds() int32 {
	if c.SQSWaitSeconds <= 0 {
		return 20
	}
	return int32(min(c.SQSWaitSeconds, 20))
}

func (c *Config) attempts() int {
	if c.MaxAttempts <= 0 {
		return 5
	}
	return c.MaxAttempts
}

func (c *Config) retryInterval() time.Duration {
	if c.RetryInterval <= 0 {
		return time.Second
	}
	return c.RetryInterval
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	if c.S3DownloadConcurrency < 0 {
		return fmt.Errorf("cloudtrail config: s3DownloadConcurrency %d is negative", c.S3DownloadConcurrency)
	}
	if _, err := accounts(c.S3AccountList); err != nil {
		return fmt.Errorf("cloudtrail config: %w", err)
	}
	if _, _, err := parseInterval(c.S3Interval, time.Now()); err != nil {
		return fmt.Errorf("cloudtrail config: s3Interval %q: %w", c.S3Interval, err)
	}
	return nil
}

// loadAWS loads the SDK's configuration with the overrides; the SDK
// logs to log, at debug level but for its warnings.
func (c *Config) loadAWS(ctx context.Context, log *slog.Logger) (aws.Config, error) {
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithLogger(sdkLogger{log})}
	if c.AWS.Profile != "" {
		opts = append(opts, awsconfig.WithSharedConfigProfile(c.AWS.Profile))
	}
	if c.AWS.Region != "" {
		opts = append(opts, awsconfig.WithRegion(c.AWS.Region))
	}
	if c.AWS.Config != "" {
		opts = append(opts, awsconfig.WithSharedConfigFiles([]string{c.AWS.Config}))
	}
	if c.AWS.Credentials != "" {
		opts = append(opts, awsconfig.WithSharedCredentialsFiles([]string{c.AWS.Credentials}))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("cloudtrail: AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	return cfg, nil
}

func (c *Config) s3Client(cfg aws.Config) *s3.Client {
	ep := cmp(c.AWS.S3Endpoint, c.AWS.Endpoint)
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		if ep != "" {
			o.BaseEndpoint = aws.String(ep)
			o.UsePathStyle = true
		}
	})
}

func (c *Config) sqsClient(cfg aws.Config) *sqs.Client {
	ep := cmp(c.AWS.SQSEndpoint, c.AWS.Endpoint)
	return sqs.NewFromConfig(cfg, func(o *sqs.Options) {
		if ep != "" {
			o.BaseEndpoint = aws.String(ep)
		}
	})
}

// sdkLogger hands the SDK's messages to a slog.Logger.
type sdkLogger struct{ log *slog.Logger }

// Logf logs one SDK message.
func (l sdkLogger) Logf(class logging.Classification, format string, v ...any) {
	level := slog.LevelDebug
	if class == logging.Warn {
		level = slog.LevelWarn
	}
	if l.log.Enabled(context.Background(), level) {
		l.log.Log(context.Background(), level, "AWS SDK: "+fmt.Sprintf(format, v...))
	}
}

// cmp returns the first of a and b that is not empty.
func cmp(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// accounts parses a comma-separated list of 12-digit account ids.
func accounts(list string) ([]string, error) {
	var out []string
	for a := range strings.SplitSeq(list, ",") {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		if len(a) != 12 || strings.Trim(a, "0123456789") != "" {
			return nil, fmt.Errorf("s3AccountList: %q is no 12-digit account id", a)
		}
		out = append(out, a)
	}
	return out, nil
}

// parseInterval parses an s3Interval relative to now; a zero end means
// up to now.
func parseInterval(s string, now time.Time) (start, end time.Time, err error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, time.Time{}, nil
	}
	re := regexp.MustCompile(`^(.*?)\s*-\s*(\d+[wdhms]|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)$`)
	if m := re.FindStringSubmatch(s); m != nil && m[1] != "" {
		if start, err = endpoint(m[1], now); err == nil {
			end, err = endpoint(m[2], now)
		}
		if err == nil && end.Before(start) {
			err = fmt.Errorf("the end is before the start")
		}
		return start, end, err
	}
	start, err = endpoint(s, now)
	return start, time.Time{}, err
}

// endpoint parses one end of an interval: a duration back from now, or
// a time as 2006-01-02T15:04:05Z.
func endpoint(s string, now time.Time) (time.Time, error) {
	units := map[byte]time.Duration{'w': 7 * 24 * time.Hour, 'd': 24 * time.Hour, 'h': time.Hour, 'm': time.Minute, 's': time.Second}
	if n := len(s); n > 1 {
		if u, ok := units[s[n-1]]; ok {
			v, err := strconv.Atoi(s[:n-1])
			if err != nil || v < 0 {
				return time.Time{}, fmt.Errorf("%q is no duration such as 5d", s)
			}
			return now.UTC().Add(-time.Duration(v) * u), nil
		}
	}
	t, err := time.Parse("2006-01-02T15:04:05Z", s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither a duration such as 5d nor a time such as 2021-03-30T18:07:17Z", s)
	}
	return t, nil
}
