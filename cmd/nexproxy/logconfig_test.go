package main

import (
	"path/filepath"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"
	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/internal/logging"
)

// loggerFor loads a configuration with [log] text, parses args as the
// root command's log flags and returns the logger configLogger settles on.
func loggerFor(t *testing.T, logTable string, args ...string) (*zap.Logger, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "c.toml")
	writeFile(t, path, "advertise = \"127.0.0.1\"\n[log]\n"+logTable+checkGame)
	cmd := &cobra.Command{Use: "x"}
	level := cmd.Flags().String("log-level", "info", "")
	format := cmd.Flags().String("log-format", "auto", "")
	if err := cmd.ParseFlags(args); err != nil {
		t.Fatal(err)
	}
	// As the root command does: a logger from the flags first.
	first, err := logging.New(*level, *format)
	if err != nil {
		t.Fatal(err)
	}
	a := &app{v: viper.New(), log: first}
	if err := a.loadConfig(path); err != nil {
		t.Fatal(err)
	}
	err = a.configLogger(cmd, *level, *format)
	return a.log, err
}

func TestLogLevelFromConfig(t *testing.T) {
	cases := []struct {
		name      string
		table     string
		env       string
		args      []string
		debug     bool // debug lines enabled
		info      bool // info lines enabled
		wantError bool
	}{
		{name: "config debug", table: "level = \"debug\"\n", debug: true, info: true},
		{name: "config error", table: "level = \"error\"\nformat = \"json\"\n"},
		{name: "flag wins", table: "level = \"debug\"\n", args: []string{"--log-level", "warn"}},
		{name: "flag wins even at its default", table: "level = \"error\"\n", args: []string{"--log-level=info"}, info: true},
		{name: "environment", table: "level = \"debug\"\n", env: "error"},
		{name: "no level in config", table: "", info: true},
		{name: "bad format", table: "format = \"xml\"\n", wantError: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.env != "" {
				t.Setenv("NEXPROXY_LOG_LEVEL", tc.env)
			}
			log, err := loggerFor(t, tc.table, tc.args...)
			if tc.wantError {
				if err == nil {
					t.Fatal("want an error for a bad log format")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := log.Core().Enabled(zap.DebugLevel); got != tc.debug {
				t.Errorf("debug enabled %v, want %v", got, tc.debug)
			}
			if got := log.Core().Enabled(zap.InfoLevel); got != tc.info {
				t.Errorf("info enabled %v, want %v", got, tc.info)
			}
		})
	}
}
