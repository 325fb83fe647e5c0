package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/internal/buildinfo"
	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/proxy/config"
	"github.com/nexproxy/nexproxy/proxy/record"
	"github.com/nexproxy/nexproxy/proxy/record/pcapng"
	"github.com/nexproxy/nexproxy/scripts"
)

// observer is what `nexproxy serve` records besides its process log:
// session logs (log.sessions), packet captures (log.pcapng per session,
// --pcapng for the whole process) and the metrics endpoint (metrics).
type observer struct {
	log      *zap.Logger
	files    *record.File   // nil: neither session logs nor captures
	capture  *pcapng.Writer // --pcapng
	captures bool           // --pcapng or log.pcapng
	metrics  *metrics       // nil: metrics off
	addr     string         // metrics listen address

	stats func() proxy.Stats // set by start
	hooks func() map[string]scripts.ScriptStats

	httpSrv  *http.Server
	done     chan struct{} // closed by close
	doneOnce sync.Once
	wg       sync.WaitGroup
}

// newObserver opens the process-wide capture (pcapFile, "" = none) and
// prepares the recorders the configuration asks for.
func newObserver(log *zap.Logger, cfg *config.Config, pcapFile string) (*observer, error) {
	o := &observer{log: log, addr: cfg.Metrics, done: make(chan struct{})}
	if pcapFile != "" {
		w, err := pcapng.Create(pcapFile)
		if err != nil {
			return nil, fmt.Errorf("--pcapng: %w", err)
		}
		o.capture = w
		log.Info("writing decrypted traffic", zap.String("pcapng", pcapFile))
	}
	o.captures = o.capture != nil || cfg.Log.PCAPNG && cfg.Log.Sessions != ""
	if cfg.Log.Sessions != "" || o.capture != nil {
		o.files = record.NewFile(record.FileOptions{
			Dir:             cfg.Log.Sessions,
			Secrets:         cfg.Log.Secrets,
			SessionCaptures: cfg.Log.PCAPNG,
			Capture:         o.capture,
			Program:         buildinfo.Get().Short(),
			Logger:          log,
		})
	}
	if cfg.Log.Sessions != "" {
		log.Info("writing session logs", zap.String("dir", cfg.Log.Sessions), zap.Bool("secrets", cfg.Log.Secrets), zap.Bool("pcapng", cfg.Log.PCAPNG))
	}
	if o.addr != "" {
		o.metrics = newMetrics(func() proxy.Stats { return o.stats() }, func() map[string]scripts.ScriptStats {
			if o.hooks == nil {
				return nil
			}
			return o.hooks()
		})
	}
	if o.metrics != nil && o.files != nil {
		o.metrics.countSessionLogDrops(o.files.Dropped)
	}
	return o, nil
}

// sessionLogRecorder is what the session logs are to the server without
// captures: a record.File without its Message method.
type sessionLogRecorder interface {
	record.ValueRecorder
	record.ScriptRecorder
}

// recorder is the Recorder of the server: the process log's, then the
// files', then the metrics'.
func (o *observer) recorder() record.Recorder {
	rs := []record.Recorder{record.Zap(o.log)}
	if o.files != nil {
		var files record.Recorder = o.files
		if !o.captures {
			// Without captures, hide Message so that the server does not
			// trace every message for nothing (WantsValues stays: the
			// files decode calls themselves, off the packet path; so
			// does Script, for the hooks' log lines).
			files = struct{ sessionLogRecorder }{o.files}
		}
		rs = append(rs, files)
	}
	if o.metrics != nil {
		rs = append(rs, o.metrics)
	}
	return record.Multi(rs...)
}

// start opens the metrics endpoint for srv (after srv.Start) until ctx
// ends or close. hooks reads the Lua hook counters; nil when hooks are off.
func (o *observer) start(ctx context.Context, srv *proxy.Server, hooks func() map[string]scripts.ScriptStats) error {
	if o.metrics == nil {
		return nil
	}
	o.stats, o.hooks = srv.Stats, hooks
	l, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(o.metrics.registry(), promhttp.HandlerOpts{ErrorLog: zap.NewStdLog(o.log)}))
	o.httpSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	o.log.Info("metrics endpoint", zap.String("url", "http://"+l.Addr().String()+"/metrics"))
	o.wg.Add(2)
	go func() {
		defer o.wg.Done()
		if err := o.httpSrv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			o.log.Warn("metrics endpoint stopped", zap.Error(err))
		}
	}()
	go func() {
		defer o.wg.Done()
		select {
		case <-ctx.Done():
		case <-o.done:
		}
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = o.httpSrv.Shutdown(sctx)
	}()
	return nil
}

// close shuts the metrics endpoint down and closes the files; call it
// after the server closed, so that every session has written its last
// record.
func (o *observer) close() error {
	o.doneOnce.Do(func() { close(o.done) })
	o.wg.Wait()
	var err error
	if o.files != nil {
		err = o.files.Close()
	}
	if o.capture != nil {
		if cerr := o.capture.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}
	return err
}

// hookStats reads the counters of the running hook engine (nil without
// hooks).
func hookStats(h *luaHooks) func() map[string]scripts.ScriptStats {
	if h == nil || h.hooks == nil {
		return nil
	}
	e := h.hooks.Engine()
	return e.Stats
}
