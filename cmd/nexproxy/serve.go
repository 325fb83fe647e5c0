package main

import (
	"context"
	"fmt"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/proxy/builtin"
	"github.com/nexproxy/nexproxy/proxy/builtin/utility"
	"github.com/nexproxy/nexproxy/proxy/config"
)

// builtins are the built-in services: every service registered with the
// builtin registry (services.go links them in).
var builtins = []proxy.Builtin{builtin.Builtin, utility.New}

func newServeCommand(a *app) *cobra.Command {
	var pcapFile string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the proxy / local server described by the configuration",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(a.v)
			if err != nil {
				return err
			}
			for _, w := range cfg.Warnings {
				a.log.Warn("configuration", zap.String("key", w.Key), zap.String("warning", w.Msg))
			}
			obs, err := newObserver(a.log, cfg, pcapFile)
			if err != nil {
				return err
			}
			defer obs.close()
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			hooks, err := startHooks(a.log, cfg)
			if err != nil {
				return err
			}
			defer hooks.stop()
			srv, err := proxy.New(cfg, hooks.apply(proxy.Options{
				Logger:   a.log,
				Builtins: builtins,
				Recorder: obs.recorder(),
			}))
			if err != nil {
				return err
			}
			if err := srv.Start(context.Background()); err != nil {
				return err
			}
			if err := obs.start(ctx, srv, hookStats(hooks)); err != nil {
				_ = srv.Close()
				return err
			}
			for _, g := range cfg.Games {
				a.log.Info("serving game", zap.String("game", g.Name), zap.String("upstream", g.Upstream),
					zap.Stringer("auth", srv.AuthAddr(g.Name)), zap.Stringer("secure", srv.SecureAddr(g.Name)))
			}
			<-ctx.Done()
			a.log.Info("shutting down", zap.Int("connections", srv.Conns()))
			if err := srv.Close(); err != nil {
				return fmt.Errorf("shutdown: %w", err)
			}
			a.log.Info("stopped")
			return nil
		},
	}
	cmd.Flags().StringVar(&pcapFile, "pcapng", "", "write decrypted PRUDP traffic to this pcapng file")
	return cmd
}
