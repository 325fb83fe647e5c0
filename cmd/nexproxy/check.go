package main

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/nexproxy/nexproxy/proxy/config"
	"github.com/nexproxy/nexproxy/proxy/dnsd"
	"github.com/nexproxy/nexproxy/scripts"
)

// errCheckFailed ends `nexproxy check` with exit status 1 after the
// problems were listed.
var errCheckFailed = errors.New("check failed")

func newCheckCommand(a *app) *cobra.Command {
	var noListen bool
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Validate the configuration and compile every Lua script",
		Long: "check loads the configuration (config.toml and NEXPROXY_* overrides) and compiles\n" +
			"every Lua hook in scripts.dir, then lists every problem, one per line with its key\n" +
			"or file. It also binds every listen address once, to report ports already in use\n" +
			"(--no-listen skips that, e.g. to check a file while serve runs). It exits with\n" +
			"status 1 when there is any problem; warnings alone do not fail.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var problems []string
			cfg, err := config.Load(a.v)
			var fieldErrs config.Errors
			switch {
			case errors.As(err, &fieldErrs):
				for _, fe := range fieldErrs {
					problems = append(problems, fe.Error())
				}
			case err != nil:
				problems = append(problems, err.Error())
			}

			if cfg != nil {
				if !noListen {
					problems = append(problems, checkListeners(cfg)...)
				}
				for _, w := range cfg.Warnings {
					fmt.Fprintln(cmd.ErrOrStderr(), "warning:", w.Error())
				}
			}
			// Check the hooks even when the rest of the file is wrong: one
			// run should show everything there is to fix.
			dir := scriptsDir(a, cfg)
			nScripts, scriptErrs := checkScripts(dir)
			problems = append(problems, scriptErrs...)

			if len(problems) > 0 {
				for _, p := range problems {
					fmt.Fprintln(cmd.ErrOrStderr(), p)
				}
				return fmt.Errorf("%w: %d problem(s)", errCheckFailed, len(problems))
			}
			fmt.Fprintf(cmd.OutOrStdout(), "config ok: %d games, %d accounts, %d scripts\n",
				len(cfg.Games), configuredAccounts(cfg), nScripts)
			return nil
		},
	}
	cmd.Flags().BoolVar(&noListen, "no-listen", false, "do not try the listen addresses")
	return cmd
}

// scriptsDir is the hooks folder: from the loaded config, or read straight
// from the file when the config did not load.
func scriptsDir(a *app, cfg *config.Config) string {
	if cfg != nil {
		return cfg.Scripts.Dir
	}
	dir := a.v.GetString("scripts.dir")
	if dir != "" && !filepath.IsAbs(dir) && a.v.ConfigFileUsed() != "" {
		dir = filepath.Join(filepath.Dir(a.v.ConfigFileUsed()), dir)
	}
	return dir
}

// checkScripts compiles the hooks in dir and returns how many hook files
// there are and each problem as one line. An absent folder means no hooks
// and is not a problem.
func checkScripts(dir string) (int, []string) {
	if dir == "" {
		return 0, nil
	}
	st, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, []string{fmt.Sprintf("scripts.dir: %v", err)}
	}
	if !st.IsDir() {
		return 0, []string{fmt.Sprintf("scripts.dir: %s is not a folder", dir)}
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.lua"))
	if err != nil {
		return 0, []string{fmt.Sprintf("scripts.dir: %v", err)}
	}
	var problems []string
	// Each problem starts with its file's name inside dir ("a.lua:3: ..."):
	// print it as a path, once.
	for _, e := range scripts.Check(dir) {
		problems = append(problems, dir+string(filepath.Separator)+e.Error())
	}
	return len(files), problems
}

// configuredAccounts counts the accounts the file defines, leaving out the
// built-in ones Load adds.
func configuredAccounts(cfg *config.Config) int {
	n := 0
	for _, acc := range cfg.Accounts {
		if !acc.Builtin {
			n++
		}
	}
	return n
}

// checkListeners binds every address serve would listen on, each once
// (UDP, or TCP for WebSocket games and the metrics endpoint; both for the
// DNS responder), and reports
// each one that cannot be bound with the key that names it: serve would
// stop at the first.
func checkListeners(cfg *config.Config) []string {
	type listen struct{ network, addr, key string }
	var all []listen
	for _, g := range cfg.Games {
		network := "udp"
		if g.Transport == config.TransportWebSocket {
			network = "tcp"
		}
		key := "games[" + g.Name + "]."
		all = append(all, listen{network, g.AuthListen, key + "auth_listen"})
		if g.SecureListen != g.AuthListen {
			all = append(all, listen{network, g.SecureListen, key + "secure_listen"})
		}
	}
	if cfg.Metrics != "" {
		all = append(all, listen{"tcp", cfg.Metrics, "metrics"})
	}
	if d, err := config.SectionOf[*dnsd.Config](cfg.Sections, dnsd.SectionName); err == nil && d.Enabled {
		all = append(all, listen{"udp", d.Listen, "dns.listen"}, listen{"tcp", d.Listen, "dns.listen"})
	}
	var problems []string
	seen := map[string]bool{}
	for _, l := range all {
		if seen[l.network+" "+l.addr] {
			continue
		}
		seen[l.network+" "+l.addr] = true
		var err error
		if l.network == "udp" {
			var pc net.PacketConn
			if pc, err = net.ListenPacket("udp", l.addr); err == nil {
				err = pc.Close()
			}
		} else {
			var ln net.Listener
			if ln, err = net.Listen("tcp", l.addr); err == nil {
				err = ln.Close()
			}
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: cannot listen on %s %s: %v", l.key, l.network, l.addr, errors.Unwrap(err)))
		}
	}
	return problems
}
