package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/rmc"
)

// replayLog is a session log of the wiiu game holding one
// AcquireNexUniqueId call.
const replayLog = `{"type":"header","time":"2024-05-01T12:00:00Z","format":"nexproxy-session-log","version":1,"session":"c1","game":"wiiu","secrets":true}
{"type":"call","time":"2024-05-01T12:00:01Z","conn":"c1","leg":"console","dir":"c2s","protocol":"Utility","protocol_id":110,"method":"AcquireNexUniqueId","method_id":1,"call_id":3,"params":{},"result":{"unique_id":4242},"handler":"upstream"}
`

// TestReplayCommand runs `nexproxy replay` in-process on a log, logs a
// console in (built-in authentication and secure server), and checks a
// recorded call's answer and the configured answer to an unrecorded one.
func TestReplayCommand(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreTopFunction("os/signal.signal_recv"), goleak.IgnoreTopFunction("os/signal.loop"))
	dir := t.TempDir()
	metricsAddr := freeAddr(t, "tcp")
	path := serveConfig(t, dir, metricsAddr)
	log := filepath.Join(dir, "recorded.jsonl")
	writeFile(t, log, replayLog)

	served := make(chan error, 1)
	go func() {
		_, errOut, err := runCLI(t, "-c", path, "replay", log, "--error", "Ranking::NotFound")
		if err != nil {
			err = fmt.Errorf("%w\n%s", err, errOut)
		}
		served <- err
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cc := clientFor(t, path)
	waitServing(t, ctx, metricsAddr, served)
	c, err := proxy.Login(ctx, cc)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	m, err := c.Call(ctx, 110, 1, nil)
	if err != nil || !m.Success || len(m.Body) != 8 || binary.LittleEndian.Uint64(m.Body) != 4242 {
		t.Errorf("AcquireNexUniqueId: %v %+v, want the recorded 4242", err, m)
	}
	idx := binary.LittleEndian.AppendUint32(nil, 5)
	if m, err := c.Call(ctx, 110, 7, idx); err != nil || m.Success || m.Error != rmc.ResultRankingNotFound|rmc.ResultErrorBit {
		t.Errorf("unrecorded call: %v %+v, want Ranking::NotFound", err, m)
	}
	_ = c.Close()
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("replay: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("replay did not stop on SIGINT")
	}
	// Its own session logs only with --sessions.
	if _, err := os.Stat(filepath.Join(dir, "sessions")); !os.IsNotExist(err) {
		t.Errorf("replay wrote session logs without --sessions: %v", err)
	}
}

// TestReplayCommandErrors: what cannot be replayed is refused before
// anything listens.
func TestReplayCommandErrors(t *testing.T) {
	dir := t.TempDir()
	path := serveConfig(t, dir, freeAddr(t, "tcp"))
	notLog := filepath.Join(dir, "config.toml")
	log := filepath.Join(dir, "recorded.jsonl")
	writeFile(t, log, replayLog)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"replay"}, "requires at least 1 arg"},
		{[]string{"replay", filepath.Join(dir, "missing.jsonl")}, "missing.jsonl"},
		{[]string{"replay", notLog}, "not a nexproxy session log"},
		{[]string{"replay", log, "--ignore", "Ranking"}, "Protocol.Method:path"},
		{[]string{"replay", log, "--error", "Core::Nope"}, "Core::Nope"},
	} {
		_, _, err := runCLI(t, append([]string{"-c", path}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one saying %q", c.args, err, c.want)
		}
	}
}
