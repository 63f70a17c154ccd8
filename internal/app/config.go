package app

import (
	"fmt"
	"io"

	"github.com/kestrel-sec/kestrel/internal/config"
)

// ConfigValidateOptions configure [ValidateConfig].
type ConfigValidateOptions struct {
	Paths    []string
	Settings []string // -o key=value
}

// ValidateConfig loads configuration files as run does, then the rules
// files each names, and prints every error and warning. It returns an
// error matching config.ErrInvalid, ErrRulesInvalid or ErrNoRules when
// there are errors; one that also matches ErrUsage when the only errors
// are in -o settings.
func ValidateConfig(o ConfigValidateOptions, stdout io.Writer) error {
	var first error
	for _, path := range o.Paths {
		if err := validateConfig(path, o.Settings, stdout); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func validateConfig(path string, settings []string, w io.Writer) error {
	cfg, ds := config.LoadWithOverrides(path, settings)
	for _, d := range ds {
		fmt.Fprintf(w, "%s\n\n", d.String())
	}
	fmt.Fprintf(w, "%s: %s, %s\n", path, count(len(ds.Errors()), "error"), count(len(ds.Warnings()), "warning"))
	if ds.HasErrors() {
		return configErr(ds)
	}
	eo, err := engineOptions(cfg, RunOptions{})
	if err != nil {
		return err
	}
	_, eng, rds := loadRules(cfg.RulesFiles, eo)
	for _, d := range rds {
		fmt.Fprintf(w, "%s\n\n", d.String())
	}
	what := "the embedded rules"
	if len(cfg.RulesFiles) > 0 {
		what = fmt.Sprintf("its rules files (%d)", len(cfg.RulesFiles))
	}
	fmt.Fprintf(w, "%s: %s: %s, %s\n", path, what, count(len(rds.Errors()), "error"), count(len(rds.Warnings()), "warning"))
	if rds.HasErrors() {
		return rds.Err()
	}
	// The rules configuration and the priority may leave no rule to run.
	if _, err := checkSelection(eng, eo); err != nil {
		fmt.Fprintf(w, "%s: error: %v\n", path, err)
		return err
	}
	return nil
}

// ConfigSchema returns the JSON Schema of the configuration file.
func ConfigSchema() []byte { return config.Schema() }

// ConfigExample returns the commented example configuration.
func ConfigExample() []byte { return config.Example() }

// configErr returns the error of configuration diagnostics that hold
// errors: one matching config.ErrInvalid, and also ErrUsage when every
// error is in a -o setting of the command line.
func configErr(ds config.Diagnostics) error {
	for _, d := range ds.Errors() {
		if d.Pos.Option == "" {
			return ds.Err()
		}
	}
	return usageErr(ds.Err())
}
