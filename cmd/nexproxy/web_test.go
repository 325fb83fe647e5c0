package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
	"go.uber.org/zap"
	zapobserver "go.uber.org/zap/zaptest/observer"

	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/proxy/config"
)

// TestServeWeb runs `nexproxy serve --web` and watches a login arrive on
// the page's event stream; the session logs folder is listed for opening.
func TestServeWeb(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreTopFunction("os/signal.signal_recv"), goleak.IgnoreTopFunction("os/signal.loop"))
	dir := t.TempDir()
	metricsAddr, webAddr := freeAddr(t, "tcp"), freeAddr(t, "tcp")
	path := serveConfig(t, dir, metricsAddr)
	served := make(chan error, 1)
	go func() {
		_, errOut, err := runCLI(t, "-c", path, "serve", "--web", webAddr)
		if err != nil {
			err = fmt.Errorf("%w\n%s", err, errOut)
		}
		served <- err
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cc := clientFor(t, path)
	waitServing(t, ctx, metricsAddr, served)

	req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+webAddr+"/api/events?method=Login", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 64)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	c, err := proxy.Login(ctx, cc)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	for found := false; !found; {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatal("event stream ended")
			}
			found = strings.HasPrefix(line, "data: ") && strings.Contains(line, `"method":"Login"`)
			if strings.HasPrefix(line, "data: ") && strings.Contains(line, "testpassword") {
				t.Fatalf("secret on the page: %s", line)
			}
		case <-ctx.Done():
			t.Fatal("no Login call on the event stream")
		}
	}
	c.Close()

	logs, err := http.Get("http://" + webAddr + "/api/logs")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(logs.Body)
	logs.Body.Close()
	if !strings.Contains(string(body), "_wiiu_") {
		t.Errorf("log.sessions not listed: %s", body)
	}

	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("serve did not stop on SIGINT")
	}
	resp.Body.Close()
	for range lines {
	}
	if _, err := net.DialTimeout("tcp", webAddr, time.Second); err == nil {
		t.Error("web view still open after shutdown")
	}
}

// TestWebViewToken: [web] bound beyond loopback without a token makes one
// up and logs the page's URL with it once; the page wants it.
func TestWebViewToken(t *testing.T) {
	cfg, err := config.LoadTOML(`advertise = "127.0.0.1"
[web]
listen = "0.0.0.0:0"
[[games]]
name = "g"
platform = "wiiu"
access_key = "25dbf96a"
auth_listen = "127.0.0.1:60000"
secure_listen = "127.0.0.1:60001"
upstream = "local"
`)
	if err != nil {
		t.Fatal(err)
	}
	core, logged := zapobserver.New(zap.InfoLevel)
	w, err := startWebView(zap.New(core), cfg, "", "", "")
	if err != nil {
		t.Fatal(err)
	}
	defer w.close()
	token := w.srv.Token()
	if token == "" {
		t.Fatal("no token off loopback")
	}
	n := 0
	for _, e := range logged.All() {
		for _, f := range e.Context {
			if strings.Contains(f.String, token) {
				n++
				if e.Level < zap.WarnLevel {
					t.Errorf("token logged at %s", e.Level)
				}
			}
		}
	}
	if n != 1 {
		t.Errorf("token logged %d times, want once", n)
	}
	_, port, _ := net.SplitHostPort(w.srv.Addr().String())
	resp, err := http.Get("http://127.0.0.1:" + port + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("without token: %s", resp.Status)
	}
	resp, err = http.Get("http://127.0.0.1:" + port + "/?token=" + token)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("with token: %s", resp.Status)
	}
}
