package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"
	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/internal/buildinfo"
	"github.com/nexproxy/nexproxy/internal/logging"
)

// version is set at build time with -ldflags "-X main.version=...".

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
			if cmd.Name() == cobra.ShellCompRequestCmd || cmd.Name() == cobra.ShellCompNoDescRequestCmd {
				// What a shell asks at each TAB through the completion
				// script: it needs no configuration file either.
				return nil
			}
			log, err := logging.New(logLevel, logFormat)
			if err != nil {
				return err
			}
			a.log = log
			if err := a.loadConfig(cfgFile); err != nil {
				return err
			}
			return a.configLogger(cmd, logLevel, logFormat)
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
	root.AddCommand(newGamesCommand())
	addCommands(root, a)
	// Shell completion needs no configuration file: it describes the
	// commands, whatever folder it is run in.
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() == "completion" {
			c.PersistentPreRunE = func(*cobra.Command, []string) error { return nil }
		}
	}
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

// configLogger rebuilds the logger from log.level and log.format of the
// configuration (or NEXPROXY_LOG_LEVEL, NEXPROXY_LOG_FORMAT) once it is
// read: the logger had to exist before, to report a missing file. A
// --log-level or --log-format given on the command line wins.
func (a *app) configLogger(cmd *cobra.Command, flagLevel, flagFormat string) error {
	level, format := flagLevel, flagFormat
	if v := a.v.GetString("log.level"); v != "" && !cmd.Flags().Changed("log-level") {
		level = v
	}
	if v := a.v.GetString("log.format"); v != "" && !cmd.Flags().Changed("log-format") {
		format = v
	}
	if level == flagLevel && format == flagFormat {
		return nil
	}
	log, err := logging.New(level, format)
	if err != nil {
		return fmt.Errorf("config log.level/log.format: %w", err)
	}
	_ = a.log.Sync()
	a.log = log
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
			fmt.Fprint(cmd.OutOrStdout(), buildinfo.Get())
		},
	}
}
