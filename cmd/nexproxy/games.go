package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/nexproxy/nexproxy/internal/titles"
)

func newGamesCommand() *cobra.Command {
	var long bool
	cmd := &cobra.Command{
		Use:   "games [FILTER]",
		Short: "List the known titles a game's title key can name",
		Long: "games lists the table of known titles built into nexproxy: short name, platform,\n" +
			"game server id, access key, NEX version, PRUDP variant and name. FILTER keeps the\n" +
			"titles whose name, short name, platform or game server id contains it, ignoring\n" +
			"case. In config.toml, title = \"SHORT\" (or the game server id) fills a game in\n" +
			"from its row. --long adds the NEX services, schema variants and sources.",
		Args: cobra.MaximumNArgs(1),
		// The table is built in: no configuration file needed.
		PersistentPreRunE: func(*cobra.Command, []string) error { return nil },
		RunE: func(cmd *cobra.Command, args []string) error {
			filter := ""
			if len(args) == 1 {
				filter = args[0]
			}
			list := titles.Filter(filter)
			if len(list) == 0 {
				return fmt.Errorf("no known title matches %q (nexproxy games lists them all)", filter)
			}
			return writeTitles(cmd.OutOrStdout(), list, long)
		},
	}
	cmd.Flags().BoolVarP(&long, "long", "l", false, "also list services, variants and sources")
	return cmd
}

// writeTitles prints titles as an aligned table, one title a line, or
// with long as one block per title that adds its services, variants and
// sources.
func writeTitles(w io.Writer, list []titles.Title, long bool) error {
	if long {
		for _, t := range list {
			fmt.Fprintf(w, "%s: %s\n", t.Short, t.Name)
			fmt.Fprintf(w, "    platform %s, server id 0x%s, access key %s, NEX %s (%d), PRUDP %s\n",
				t.Platform, t.ID(), t.AccessKey, t.NEX, t.NEXVersion(), t.Variant())
			fmt.Fprintf(w, "    services: %s\n", orNone(t.Protocols))
			if len(t.Variants) > 0 {
				fmt.Fprintf(w, "    variants: %s\n", strings.Join(t.Variants, ", "))
			}
			for _, s := range t.Sources {
				fmt.Fprintf(w, "    source: %s\n", s)
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TITLE\tPLATFORM\tSERVER ID\tACCESS KEY\tNEX\tPRUDP\tNAME")
	for _, t := range list {
		fmt.Fprintf(tw, "%s\t%s\t0x%s\t%s\t%s (%d)\t%s\t%s\n", t.Short, t.Platform, t.ID(), t.AccessKey, t.NEX, t.NEXVersion(), t.Variant(), t.Name)
	}
	return tw.Flush()
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "(none listed)"
	}
	return strings.Join(s, ", ")
}
