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

// startHooks loads the scripts of cfg.Scripts. A folder that does not
// exist yet means no hooks for now: SIGHUP (or, with scripts.watch, its
// creation) loads it later. Scripts that do not load are an error
// (nexproxy check shows them all). SIGHUP never stops the server: it
// reloads, or logs why there is nothing to reload.
func startHooks(log *zap.Logger, cfg *config.Config) (*luaHooks, error) {
	sc := cfg.Scripts
	ctx, cancel := context.WithCancel(context.Background())
	h := &luaHooks{cancel: cancel}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	var e *scripts.Engine
	if sc.Dir != "" {
		var err error
		e, err = scripts.New(scripts.Config{Dir: sc.Dir, Timeout: sc.Timeout, Logger: log, MissingDirOK: true})
		if err != nil {
			signal.Stop(hup)
			cancel()
			return nil, fmt.Errorf("scripts: %w", err)
		}
		h.hooks = luahooks.New(e, cfg, log)
		if _, err := os.Stat(sc.Dir); errors.Is(err, fs.ErrNotExist) {
			log.Info("no scripts folder yet; Lua hooks load when it exists (SIGHUP, or scripts.watch)", zap.String("dir", sc.Dir))
		} else {
			log.Info("Lua hooks loaded", zap.String("dir", sc.Dir), zap.Strings("scripts", e.Scripts()), zap.Bool("watch", sc.Watch))
		}
	}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		defer signal.Stop(hup)
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				if e == nil {
					log.Info("SIGHUP: nothing to reload (scripts.dir is empty: Lua hooks are off)")
					continue
				}
				log.Info("SIGHUP: reloading scripts", zap.String("dir", sc.Dir))
				// Reload logs a rejected set itself; the old one keeps running.
				_ = e.Reload()
			}
		}
	}()
	if e != nil && sc.Watch {
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
