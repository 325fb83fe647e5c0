package main

import (
	"context"
	"errors"
	"fmt"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/internal/store/stores"
	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/proxy/builtin"
	"github.com/nexproxy/nexproxy/proxy/config"
	"github.com/nexproxy/nexproxy/proxy/record"
)

// openHost opens the stores of cfg ([store]), seeds them with its
// [[accounts]], and makes the host the built-in services run on; close
// closes the services, then the stores, and logs what failed.
func openHost(ctx context.Context, log *zap.Logger, cfg *config.Config) (host *builtin.Host, close func(), err error) {
	st, err := stores.Open(ctx, cfg.Store, log)
	if err != nil {
		return nil, nil, fmt.Errorf("open stores: %w", err)
	}
	host = &builtin.Host{Stores: st, Instance: builtin.NewInstanceID()}
	close = func() {
		if err := errors.Join(host.Close(), st.Close()); err != nil {
			log.Error("close stores", zap.Error(err))
		}
	}
	// config.toml's accounts go into the store, which logins read.
	if err := proxy.SeedAccounts(ctx, st.Accounts, cfg.Accounts, log); err != nil {
		close()
		return nil, nil, err
	}
	return host, close, nil
}

// builtinsOf are the built-in services of a host: every service registered
// with the builtin registry (services.go links them in).
func builtinsOf(h *builtin.Host) []proxy.Builtin { return []proxy.Builtin{h.Builtin} }

func newServeCommand(a *app) *cobra.Command {
	var pcapFile, webAddr, webLogs string
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
			web, err := startWebView(a.log, cfg, a.v.ConfigFileUsed(), webAddr, webLogs)
			if err != nil {
				return err
			}
			defer web.close()
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			host, closeHost, err := openHost(ctx, a.log, cfg)
			if err != nil {
				return err
			}
			defer closeHost()
			hooks, err := startHooks(a.log, cfg)
			if err != nil {
				return err
			}
			defer hooks.stop()
			if hooks.hooks != nil {
				host.Friends = hooks.hooks // nex.friends_of
				host.Search = hooks.hooks  // nex.matchmake_criteria
			}
			dns, err := startDNS(a.log, cfg)
			if err != nil {
				return err
			}
			defer dns.stop(a.log)
			srv, err := proxy.New(cfg, hooks.apply(proxy.Options{
				Logger:   a.log,
				Builtins: builtinsOf(host),
				Recorder: record.Multi(obs.recorder(), web.recorder()),
				Accounts: host.Stores.Accounts,
				Resolver: dns.resolver,
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
	cmd.Flags().StringVar(&webAddr, "web", "", "serve the live session view on this address (web.listen; host defaults to 127.0.0.1)")
	cmd.Flags().StringVar(&webLogs, "web-logs", "", "folder of session logs the web view offers to open (web.logs; default log.sessions)")
	return cmd
}
