package main

import (
	"context"
	"fmt"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/proxy/config"
	"github.com/nexproxy/nexproxy/proxy/replay"
)

func newReplayCommand(a *app) *cobra.Command {
	var (
		ignore   []string
		errText  string
		local    []string
		game     string
		sessions string
	)
	cmd := &cobra.Command{
		Use:   "replay LOG...",
		Short: "Serve the configured games from recorded session logs (files or folders)",
		Long: `Serve the configured games locally, answering every console call with the
response recorded for the same protocol, method and parameters in the given
session logs (in recorded order, then the last one again). Logins and the
secure connection are served live by the built-in services ([replay] local);
a call the logs do not hold is answered with [replay] error and logged.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, logs []string) error {
			cfg, err := config.Load(a.v)
			if err != nil {
				return err
			}
			rc, err := replayConfig(cfg, cmd, ignore, errText, local)
			if err != nil {
				return err
			}
			unmatched, err := replay.ParseResult(rc.Error)
			if err != nil {
				return fmt.Errorf("replay error: %w", err)
			}
			var rules []replay.Rule
			for _, s := range rc.Ignore {
				r, err := replay.ParseRule(s)
				if err != nil {
					return fmt.Errorf("replay ignore: %w", err)
				}
				rules = append(rules, r)
			}
			ix, err := replay.Load(logs, replay.Options{Rules: rules, Game: game, Log: a.log})
			if err != nil {
				return err
			}
			st := ix.Stats()
			a.log.Info("replaying", zap.Int("files", st.Files), zap.Int("calls", st.Calls), zap.Int("distinct", st.Distinct),
				zap.Int("skipped", st.Skipped), zap.Strings("games", st.Games), zap.Strings("live", rc.Local), zap.Stringer("unmatched", unmatched))
			for i := range cfg.Games {
				// Every game is served here, whatever its upstream: the
				// recording stands in for it.
				g := &cfg.Games[i]
				g.Upstream, g.UpstreamTLSInsecure = config.ModeLocal, false
				if !contains(st.Games, g.Name) {
					a.log.Warn("replay: the logs hold no call of this game", zap.String("game", g.Name))
				}
			}
			// The replay's own session logs only when asked for, so that a
			// folder being replayed does not grow.
			cfg.Log.Sessions, cfg.Log.PCAPNG = sessions, false
			obs, err := newObserver(a.log, cfg, "")
			if err != nil {
				return err
			}
			defer obs.close()
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			host, closeHost, err := openHost(ctx, a.log, cfg)
			if err != nil {
				return err
			}
			defer closeHost()
			srv, err := proxy.New(cfg, proxy.Options{
				Logger:   a.log,
				Builtins: []proxy.Builtin{host.Named(rc.Local...), ix.Builtin(replay.LinkOptions{Unmatched: unmatched})},
				Recorder: obs.recorder(),
				Accounts: host.Stores.Accounts,
			})
			if err != nil {
				return err
			}
			if err := srv.Start(context.Background()); err != nil {
				return err
			}
			if err := obs.start(ctx, srv, nil); err != nil {
				_ = srv.Close()
				return err
			}
			for _, g := range cfg.Games {
				a.log.Info("replaying game", zap.String("game", g.Name),
					zap.Stringer("auth", srv.AuthAddr(g.Name)), zap.Stringer("secure", srv.SecureAddr(g.Name)))
			}
			<-ctx.Done()
			a.log.Info("shutting down", zap.Int("connections", srv.Conns()))
			if err := srv.Close(); err != nil {
				return fmt.Errorf("shutdown: %w", err)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&ignore, "ignore", nil, "leave a parameter out of matching, Protocol.Method:path (repeatable; adds to [replay] ignore)")
	f.StringVar(&errText, "error", "", "answer to calls the logs do not hold (default [replay] error, Core::NotImplemented)")
	f.StringSliceVar(&local, "local", nil, "built-in services that answer live (default [replay] local: authentication,secure)")
	f.StringVar(&game, "game", "", "serve every log's calls as this game's (default: each log's own game)")
	f.StringVar(&sessions, "sessions", "", "write session logs of the replay to this folder (default none)")
	return cmd
}

// replayConfig is [replay] with the command line's flags applied.
func replayConfig(cfg *config.Config, cmd *cobra.Command, ignore []string, errText string, local []string) (replay.Config, error) {
	rc := replay.DefaultConfig()
	if cfg.Sections != nil {
		if c, err := config.SectionOf[*replay.Config](cfg.Sections, "replay"); err == nil {
			rc = *c
		} else {
			return rc, err
		}
	}
	rc.Ignore = append(append([]string(nil), rc.Ignore...), ignore...)
	if cmd.Flags().Changed("error") {
		rc.Error = errText
	}
	if cmd.Flags().Changed("local") {
		rc.Local = local
	}
	return rc, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
