//go:build unix

package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer a process writes while the test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitLog waits until the process log holds text.
func waitLog(t *testing.T, ctx context.Context, log *lockedBuffer, exited <-chan struct{}, text string) {
	t.Helper()
	for !strings.Contains(log.String(), text) {
		select {
		case <-exited:
			t.Fatalf("serve exited while waiting for %q:\n%s", text, log.String())
		case <-ctx.Done():
			t.Fatalf("no %q in the process log:\n%s", text, log.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// TestServeSIGHUPWithoutHooksFolder: with the hooks folder absent at start,
// SIGHUP does not stop serve (it used to kill it with the signal's default
// action), and a folder created later is loaded by the next SIGHUP.
func TestServeSIGHUPWithoutHooksFolder(t *testing.T) {
	dir := t.TempDir()
	metricsAddr := freeAddr(t, "tcp")
	path := serveConfig(t, dir, metricsAddr)
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, strings.Replace(string(text), "[[games]]", "[scripts]\ndir = \"hooks\"\n\n[[games]]", 1))
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), mainArgsEnv+"="+strings.Join([]string{"-c", path, "--log-level", "info", "--log-format", "json", "serve"}, "\n"))
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	exited := make(chan struct{})
	go func() { served <- cmd.Wait(); close(exited) }()
	defer func() {
		select {
		case <-exited:
		default:
			_ = cmd.Process.Kill()
			<-exited
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	waitServing(t, ctx, metricsAddr, served)
	waitLog(t, ctx, &stderr, exited, "no scripts folder yet")

	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitLog(t, ctx, &stderr, exited, "SIGHUP: reloading scripts")

	writeFile(t, filepath.Join(dir, "hooks", "hello.lua"), `nex.on_request("Utility", "AcquireNexUniqueId", function(call) end)`+"\n")
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitLog(t, ctx, &stderr, exited, `"msg":"scripts reloaded"`)

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
		if code := cmd.ProcessState.ExitCode(); code != 0 {
			t.Fatalf("serve exited %d:\n%s", code, stderr.String())
		}
	case <-ctx.Done():
		t.Fatal("serve did not stop on SIGTERM")
	}
}
