package main

import (
	"path/filepath"

	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/proxy/config"
	"github.com/nexproxy/nexproxy/proxy/record"
	"github.com/nexproxy/nexproxy/proxy/webview"
)

// webView is the live session view of `nexproxy serve` ([web], --web).
type webView struct {
	hub *webview.Hub
	srv *webview.Server
}

// startWebView starts the web view when [web] listen or --web (addr)
// asks for it; logs (--web-logs) overrides [web] logs, which is taken
// relative to the configuration file's folder (cfgFile; "" = none). It
// returns nil when the view is off.
func startWebView(log *zap.Logger, cfg *config.Config, cfgFile, addr, logs string) (*webView, error) {
	wc := webview.FromConfig(cfg)
	if wc.Logs != "" && !filepath.IsAbs(wc.Logs) && cfgFile != "" {
		wc.Logs = filepath.Join(filepath.Dir(cfgFile), wc.Logs)
	}
	if addr != "" {
		wc.Listen = addr
	}
	if logs != "" {
		wc.Logs = logs
	}
	if wc.Listen == "" {
		return nil, nil
	}
	if wc.Logs == "" {
		wc.Logs = cfg.Log.Sessions
	}
	hub := webview.NewHub(webview.HubOptions{Secrets: cfg.Log.Secrets})
	srv, err := webview.Start(wc.Listen, webview.Options{Hub: hub, Token: wc.Token, Logs: wc.Logs, Secrets: cfg.Log.Secrets, Logger: log})
	if err != nil {
		hub.Close()
		return nil, err
	}
	log.Info("web view", zap.String("url", "http://"+srv.Addr().String()+"/"), zap.Bool("token", srv.Token() != ""),
		zap.String("logs", wc.Logs), zap.Bool("secrets", cfg.Log.Secrets))
	if wc.Token == "" && srv.Token() != "" {
		// Shown once, so that the operator can open the page; set
		// web.token to choose it instead.
		log.Warn("web view listens beyond loopback: open it with this generated access token", zap.String("url", srv.URL()))
	}
	return &webView{hub: hub, srv: srv}, nil
}

// recorder is the view's Recorder (nil when the view is off).
func (w *webView) recorder() record.Recorder {
	if w == nil {
		return nil
	}
	return w.hub
}

// close stops the view; call it after the server closed.
func (w *webView) close() {
	if w == nil {
		return
	}
	_ = w.srv.Close()
}
