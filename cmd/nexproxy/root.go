package main

import (
	"errors"
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"
	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/internal/logging"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// app holds what every subcommand shares: the configuration source and the
// logger, both ready once the root command's PersistentPreRunE has run.
type app struct {
	v   *viper.Viper
	log *zap.Logger
}

func newRootCommand() *cobra.Command {
	a := &app{v: viper.New()}
	var cfgFile, logLevel, logFormat string
	root := &cobra.Command{
		Use:           "nexproxy",
		Short:         "Man-in-the-middle proxy and local server for Nintendo NEX game servers",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			log, err := logging.New(logLevel, logFormat)
			if err != nil {
				return err
			}
			a.log = log
			return a.loadConfig(cfgFile)
		},
		PersistentPostRun: func(*cobra.Command, []string) {
			if a.log != nil {
				_ = a.log.Sync()
			}
		},
	}
	root.PersistentFlags().StringVarP(&cfgFile, "config", "c", "config.toml", "configuration file")
	root.PersistentFlags().StringVar(&logLevel, "log-level", "info", "log level: debug, info, warn, error")
	root.PersistentFlags().StringVar(&logFormat, "log-format", "auto", "log format: auto (console on a terminal, JSON otherwise), console, json")
	root.AddCommand(newVersionCommand())
	addCommands(root, a)
	return root
}

// loadConfig reads the TOML file and lets NEXPROXY_* environment variables
// override any key (NEXPROXY_LOG_SECRETS overrides log.secrets).
func (a *app) loadConfig(file string) error {
	a.v.SetConfigFile(file)
	a.v.SetConfigType("toml")
	a.v.SetEnvPrefix("NEXPROXY")
	a.v.SetEnvKeyReplacer(strings.NewReplacer(".", "_", "-", "_"))
	a.v.AutomaticEnv()
	if err := a.v.ReadInConfig(); err != nil {
		var nf viper.ConfigFileNotFoundError
		if errors.As(err, &nf) {
			return fmt.Errorf("config %s not found: %w", file, err)
		}
		return fmt.Errorf("read config %s: %w", file, err)
	}
	return nil
}

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the nexproxy version",
		Args:  cobra.NoArgs,
		// The version needs no configuration file.
		PersistentPreRunE: func(*cobra.Command, []string) error { return nil },
		Run: func(cmd *cobra.Command, _ []string) {
			v := version
			if bi, ok := debug.ReadBuildInfo(); ok && v == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
				v = bi.Main.Version
			}
			fmt.Fprintf(cmd.OutOrStdout(), "nexproxy %s\n", v)
		},
	}
}
