package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/nexproxy/nexproxy/proxy/record/sessionlog"
)

func newDecodeCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "decode FILE",
		Short: "Print a session log as a readable transcript",
		Long: "decode reads a session log (one of the .jsonl files in log.sessions; - for standard\n" +
			"input) and prints one line per event: connections, logins, script lines, notes and\n" +
			"every RMC call as Protocol.Method(call id) params → result.",
		Args: cobra.ExactArgs(1),
		// A session log is self-describing: no configuration needed.
		PersistentPreRunE: func(*cobra.Command, []string) error { return nil },
		RunE: func(cmd *cobra.Command, args []string) error {
			var in io.Reader = cmd.InOrStdin()
			if args[0] != "-" {
				f, err := os.Open(args[0])
				if err != nil {
					return fmt.Errorf("decode: %w", err)
				}
				defer f.Close()
				in = f
			}
			r, err := sessionlog.NewReader(in)
			if err != nil {
				return fmt.Errorf("decode %s: %w", args[0], err)
			}
			if err := sessionlog.WriteTranscript(cmd.OutOrStdout(), r); err != nil {
				return fmt.Errorf("decode %s: %w", args[0], err)
			}
			return nil
		},
	}
}
