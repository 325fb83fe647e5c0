//go:build unix

package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/proxy/record/sessionlog"
	"github.com/nexproxy/nexproxy/prudp"
	"github.com/nexproxy/nexproxy/rmc/peer"
)

// mainArgsEnv, when set, makes the test binary run nexproxy's main with
// these arguments (one a line) instead of the tests: the way a test gets
// a real nexproxy process to signal and an exit code to check. Not
// NEXPROXY_*: those are configuration overrides.
const mainArgsEnv = "GO_TEST_NEXPROXY_MAIN_ARGS"

func TestMain(m *testing.M) {
	if args, ok := os.LookupEnv(mainArgsEnv); ok {
		os.Args = append([]string{"nexproxy"}, strings.Split(args, "\n")...)
		main()
		os.Exit(0) // main returned: the binary would exit 0
	}
	os.Exit(m.Run())
}

// lastLine returns the last line of b, which must end with a newline (a
// writer cut short by the exit leaves a partial line).
func lastLine(t *testing.T, name string, b []byte) []byte {
	t.Helper()
	if len(b) == 0 || b[len(b)-1] != '\n' {
		t.Fatalf("%s does not end with a complete line: %q", name, b[max(0, len(b)-200):])
	}
	b = b[:len(b)-1]
	return b[bytes.LastIndexByte(b, '\n')+1:]
}

// TestServeStopsOnSignal runs `nexproxy serve --pcapng` as a process of
// its own, logs a console in and stops the process with SIGINT or SIGTERM
// while the console is still connected: the process exits 0, the
// console's connections end with a DISCONNECT (not a ping timeout), every
// session log ends with a complete close record, the capture with a
// complete block and the process log with "stopped".
func TestServeStopsOnSignal(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) { testServeStopsOn(t, sig) })
	}
}

func testServeStopsOn(t *testing.T, sig syscall.Signal) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, runs after every other cleanup
	dir := t.TempDir()
	metricsAddr := freeAddr(t, "tcp")
	path := serveConfig(t, dir, metricsAddr)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Dir = dir
	capture := filepath.Join(dir, "capture.pcapng")
	cmd.Env = append(os.Environ(), mainArgsEnv+"="+strings.Join([]string{"-c", path, "--log-level", "info", "--log-format", "json", "serve", "--pcapng", capture}, "\n"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// served is for waitServing, which may take its value; exited and
	// waitErr are for the rest of the test.
	served := make(chan error, 1)
	exited := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		served <- waitErr
		close(exited)
	}()
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
	cc := clientFor(t, path)
	waitServing(t, ctx, metricsAddr, served)
	c, err := proxy.Login(ctx, cc)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	defer c.Close()
	registerEx(t, ctx, c, cc.RMC)

	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
		if waitErr != nil {
			t.Fatalf("serve after %s: %v (exit code %d)\n%s", sig, waitErr, cmd.ProcessState.ExitCode(), stderr.Bytes())
		}
	case <-ctx.Done():
		t.Fatalf("serve did not stop on %s", sig)
	}

	// The console heard a DISCONNECT on both connections: a server that
	// just went away would leave it to notice by ping timeout, seconds
	// later and with another error.
	for _, leg := range []struct {
		name string
		peer *peer.Peer
	}{{"authentication", c.Auth}, {"secure", c.Secure}} {
		select {
		case <-leg.peer.Done():
		case <-ctx.Done():
			t.Fatalf("the console's %s connection is still up after serve exited", leg.name)
		}
		// Every end matches ErrClosed; a silent server's also ErrTimeout,
		// a forced DISCONNECT's ErrAborted.
		if err := leg.peer.Err(); !errors.Is(err, prudp.ErrClosed) || errors.Is(err, prudp.ErrTimeout) || errors.Is(err, prudp.ErrAborted) {
			t.Errorf("the console's %s connection ended with %v, want a DISCONNECT", leg.name, err)
		}
	}

	logs, _ := filepath.Glob(filepath.Join(dir, "sessions", "*.jsonl"))
	if len(logs) != 2 {
		t.Fatalf("session folder has %d logs, want 2", len(logs))
	}
	for _, l := range logs {
		b, err := os.ReadFile(l)
		if err != nil {
			t.Fatal(err)
		}
		var rec sessionlog.Record
		if err := json.Unmarshal(lastLine(t, l, b), &rec); err != nil || rec.Type != sessionlog.TypeClose {
			t.Errorf("%s: last line is %v, %q; want a close record", l, err, rec.Type)
		}
	}

	checkCaptureComplete(t, capture)

	var entry struct {
		Msg string `json:"msg"`
	}
	if err := json.Unmarshal(lastLine(t, "the process log", stderr.Bytes()), &entry); err != nil || entry.Msg != "stopped" {
		t.Errorf("the process log ends with %v, %q; want \"stopped\":\n%s", err, entry.Msg, stderr.Bytes())
	}
}

// checkCaptureComplete reads a pcapng file block by block: every block's
// length must be whole and repeated at its end, the last one included, and
// the console's calls must be in it as packets.
func checkCaptureComplete(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	packets := 0
	for off := 0; off < len(b); {
		if len(b)-off < 12 {
			t.Fatalf("%s: %d bytes after the last whole block", path, len(b)-off)
		}
		typ, n := binary.LittleEndian.Uint32(b[off:]), int(binary.LittleEndian.Uint32(b[off+4:]))
		if n < 12 || n%4 != 0 || n > len(b)-off || int(binary.LittleEndian.Uint32(b[off+n-4:])) != n {
			t.Fatalf("%s: block at %d of %d bytes is cut short or malformed (length %d)", path, off, len(b), n)
		}
		if typ == 6 { // enhanced packet block
			packets++
		}
		off += n
	}
	if packets == 0 {
		t.Errorf("%s holds no packets", path)
	}
}
