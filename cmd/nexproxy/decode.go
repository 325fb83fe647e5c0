package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nexproxy/nexproxy/proxy/record/sessionlog"
)

func newDecodeCommand() *cobra.Command {
	var fullHex bool
	cmd := &cobra.Command{
		Use:   "decode FILE...",
		Short: "Print session logs as a readable transcript",
		Long: "decode reads session logs (the .jsonl files in log.sessions; - for standard input;\n" +
			"patterns such as 'sessions/*.jsonl' are expanded) and prints one line per event in\n" +
			"time order: connections, logins, script lines, notes and every RMC call as\n" +
			"Protocol.Method(call id) params → result. Several logs are merged, each line tagged\n" +
			"with its session. Buffers longer than 64 bytes are shortened (--full-hex: whole).",
		Args: cobra.MinimumNArgs(1),
		// A session log is self-describing: no configuration needed.
		PersistentPreRunE: func(*cobra.Command, []string) error { return nil },
		RunE: func(cmd *cobra.Command, args []string) error {
			paths, err := expandLogs(args)
			if err != nil {
				return err
			}
			var logs []sessionlog.Log
			for _, p := range paths {
				var in io.Reader = cmd.InOrStdin()
				if p != "-" {
					f, err := os.Open(p)
					if err != nil {
						return fmt.Errorf("decode: %w", err)
					}
					defer f.Close()
					in = f
				}
				r, err := sessionlog.NewReader(in)
				if err != nil {
					return fmt.Errorf("decode %s: %w", p, err)
				}
				logs = append(logs, sessionlog.Log{Name: logName(p, r), R: r})
			}
			if err := sessionlog.WriteTranscripts(cmd.OutOrStdout(), logs, sessionlog.TranscriptOptions{FullHex: fullHex}); err != nil {
				return fmt.Errorf("decode: %w", err)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&fullHex, "full-hex", false, "print buffers whole")
	return cmd
}

// expandLogs expands the patterns among args (for shells that leave them
// alone); a pattern that matches nothing is an error, as a missing file is.
func expandLogs(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		if a == "-" || !strings.ContainsAny(a, "*?[") {
			out = append(out, a)
			continue
		}
		m, err := filepath.Glob(a)
		if err != nil {
			return nil, fmt.Errorf("decode: pattern %q: %w", a, err)
		}
		if len(m) == 0 {
			return nil, fmt.Errorf("decode: no file matches %q", a)
		}
		out = append(out, m...)
	}
	return out, nil
}

// logName tags a log's lines: its session id, else its file name.
func logName(path string, r *sessionlog.Reader) string {
	if s := r.Header().Session; s != "" {
		return s
	}
	return strings.TrimSuffix(filepath.Base(path), ".jsonl")
}
