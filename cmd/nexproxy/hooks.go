package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/proxy/config"
	"github.com/nexproxy/nexproxy/proxy/luahooks"
	"github.com/nexproxy/nexproxy/scripts"
)

// luaHooks is the running Lua hook engine of `nexproxy serve` with its
// reload triggers (SIGHUP, and file changes when scripts.watch is set).
type luaHooks struct {
	hooks  *luahooks.Hooks // nil: no hooks
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// startHooks loads the scripts of cfg.Scripts. An empty or missing folder means no
// hooks; scripts that do not load are an error (nexproxy check shows them
// all).
func startHooks(log *zap.Logger, cfg *config.Config) (*luaHooks, error) {
	sc := cfg.Scripts
	h := &luaHooks{cancel: func() {}}
	if sc.Dir == "" {
		return h, nil
	}
	if _, err := os.Stat(sc.Dir); errors.Is(err, fs.ErrNotExist) {
		log.Info("no scripts folder; Lua hooks off", zap.String("dir", sc.Dir))
		return h, nil
	}
	e, err := scripts.New(scripts.Config{Dir: sc.Dir, Timeout: sc.Timeout, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("scripts: %w", err)
	}
	h.hooks = luahooks.New(e, cfg, log)
	log.Info("Lua hooks loaded", zap.String("dir", sc.Dir), zap.Strings("scripts", e.Scripts()), zap.Bool("watch", sc.Watch))

	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		defer signal.Stop(hup)
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				log.Info("SIGHUP: reloading scripts")
				// Reload logs a rejected set itself; the old one keeps running.
				_ = e.Reload()
			}
		}
	}()
	if sc.Watch {
		h.wg.Add(1)
		go func() {
			defer h.wg.Done()
			if err := e.Watch(ctx); err != nil {
				log.Warn("scripts folder not watched; reload with SIGHUP", zap.Error(err))
			}
		}()
	}
	return h, nil
}

// apply adds the hooks to the server options.
func (h *luaHooks) apply(opts proxy.Options) proxy.Options {
	if h.hooks != nil {
		h.hooks.Install(&opts)
	}
	return opts
}

// stop ends the reload triggers and closes the engine; call it after the
// server closed.
func (h *luaHooks) stop() {
	h.cancel()
	h.wg.Wait()
	if h.hooks != nil {
		h.hooks.Engine().Close()
	}
}
