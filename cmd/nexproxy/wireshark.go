package main

import (
	"fmt"
	"os"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/nexproxy/nexproxy/tools/wireshark"
)

func newWiresharkCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "wireshark",
		Short: "Install or print the Wireshark dissector of nexproxy's captures",
		Long: "The dissector (tools/wireshark/nexproxy.lua, generated from the protocol descriptions)\n" +
			"shows each message of a nexproxy pcapng capture as RMC: protocol, method, call id and\n" +
			"every parameter and response value as a tree.",
		// The dissector is built in: no configuration needed.
		PersistentPreRunE: func(*cobra.Command, []string) error { return nil },
	}
	var dir string
	install := &cobra.Command{
		Use:   "install",
		Short: "Copy the dissector into Wireshark's personal Lua plugins folder",
		Long: "install writes nexproxy.lua into Wireshark's personal Lua plugins folder\n" +
			"(~/.local/lib/wireshark/plugins on Linux and macOS, %APPDATA%\\Wireshark\\plugins on\n" +
			"Windows; --dir for another), replacing an older copy. Restart Wireshark, or reload\n" +
			"its Lua plugins (Analyze > Reload Lua Plugins), to load it.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dir == "" {
				d, err := wireshark.PluginDir(runtime.GOOS, os.Getenv, os.UserHomeDir)
				if err != nil {
					return err
				}
				dir = d
			}
			p, err := wireshark.Install(dir)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "installed %s\n", p)
			return nil
		},
	}
	install.Flags().StringVar(&dir, "dir", "", "plugins folder to install into (default: Wireshark's personal Lua plugins folder)")
	printCmd := &cobra.Command{
		Use:   "print",
		Short: "Write the dissector to standard output",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := cmd.OutOrStdout().Write(wireshark.Dissector); err != nil {
				return fmt.Errorf("wireshark print: %w", err)
			}
			return nil
		},
	}
	cmd.AddCommand(install, printCmd)
	return cmd
}
