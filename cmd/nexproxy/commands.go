package main

import "github.com/spf13/cobra"

// addCommands registers the subcommands that need the configuration.
func addCommands(root *cobra.Command, a *app) {
	root.AddCommand(newServeCommand(a))
	root.AddCommand(newBenchCommand(a))
	root.AddCommand(newCheckCommand(a))
	root.AddCommand(newDecodeCommand())
	root.AddCommand(newWiresharkCommand())
	root.AddCommand(newAccountsCommand(a))
	root.AddCommand(newReplayCommand(a))
}
