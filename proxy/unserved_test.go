package proxy_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/nexproxy/nexproxy/internal/titles"
	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/proxy/config"
	"github.com/nexproxy/nexproxy/prudp"
)

const unservedMsg = "console of a known title that no game on this listener serves"

// TestUnservedTitleLogged: a console whose access key is a known title's
// but no configured game's is refused as before and named in one log
// line (its SYN retransmissions and a second attempt add none); a key of
// no known title is logged by no such line.
func TestUnservedTitleLogged(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	port := freePort(t, "udp")
	cfg, err := config.LoadTOML(fmt.Sprintf(`advertise = "127.0.0.1"
[[games]]
title = "mk8"
auth_listen = "127.0.0.1:%d"
upstream = "local"
`, port))
	if err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zapcore.InfoLevel)
	srv, err := proxy.New(cfg, proxy.Options{Logger: zap.New(core)})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	addr := srv.AuthAddr("mk8").String()

	dial := func(key string) {
		t.Helper()
		s := prudp.WiiU()
		s.AccessKey = key
		s.ResendTimeout, s.ResendFloor, s.ResendLimit = 50*time.Millisecond, 20*time.Millisecond, 3
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		c, err := prudp.Dial(ctx, "udp", addr, prudp.DialConfig{Settings: s})
		if err == nil {
			c.Abort()
			t.Fatalf("access key %s of no configured game was accepted", key)
		}
	}
	ssb4, _ := titles.Lookup("ssb4")
	dial(ssb4.AccessKey)
	dial(ssb4.AccessKey)
	dial("deadbeef")

	lines := logs.FilterMessage(unservedMsg).All()
	if len(lines) != 1 {
		t.Fatalf("%d lines, want one: %v", len(lines), logs.All())
	}
	f := lines[0].ContextMap()
	want := map[string]any{
		"title": "Super Smash Bros. for Wii U", "short": []any{"ssb4"}, "game_server_id": []any{"0x10110E00"},
		"access_key": []any{"2869ba38"}, "listen": fmt.Sprintf("127.0.0.1:%d", port), "packet": "SYN", "matched_by": "signature",
		"hint": `serve it with a [[games]] entry that has title = "ssb4"`,
	}
	for k, v := range want {
		if fmt.Sprint(f[k]) != fmt.Sprint(v) {
			t.Errorf("field %s = %v, want %v", k, f[k], v)
		}
	}
	if r, _ := f["remote"].(string); r == "" {
		t.Errorf("no remote address: %v", f)
	}
	if lines[0].Level != zapcore.InfoLevel {
		t.Errorf("level %s", lines[0].Level)
	}
}
