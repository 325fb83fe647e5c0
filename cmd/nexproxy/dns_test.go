package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
	"go.uber.org/goleak"

	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/proxy/config"
	"github.com/nexproxy/nexproxy/proxy/dnsd/dnstest"
)

// TestServeDNS runs `nexproxy serve` with the DNS responder on: a
// console asking it for the name of a proxied game's upstream gets
// dns.advertise (127.0.0.2), while nexproxy itself looks the same name up
// at the upstream resolver (which says 127.0.0.1, where the upstream
// game listens): the login through the proxied game works, which it
// could not if nexproxy had asked itself, as nothing listens on
// 127.0.0.2. Other names are forwarded. SIGINT stops the responder too.
func TestServeDNS(t *testing.T) {
	// Registered first, so it runs after every other cleanup.
	t.Cleanup(func() {
		goleak.VerifyNone(t, goleak.IgnoreTopFunction("os/signal.signal_recv"), goleak.IgnoreTopFunction("os/signal.loop"))
	})
	const host = "nexgame.test"
	up := dnstest.Start(t, map[string]string{host: "127.0.0.1", "other.test": "10.1.2.3"}, dnstest.Options{})
	dir := t.TempDir()
	metricsAddr := freeAddr(t, "tcp")
	upAuth := freeAddr(t, "udp")
	_, upPort, _ := net.SplitHostPort(upAuth)
	dnsAddr := freeAddr(t, "udp")
	path := filepath.Join(dir, "config.toml")
	writeFile(t, path, fmt.Sprintf(`advertise = "127.0.0.1"
metrics = %q

[log]
level = "error"
sessions = ""

[dns]
enabled = true
listen = %q
upstream = %q
advertise = "127.0.0.2"

[[games]]
name = "upstream"
platform = "wiiu"
access_key = "25dbf96a"
auth_listen = %q
secure_listen = %q
upstream = "local"

[[games]]
name = "front"
platform = "wiiu"
access_key = "25dbf96a"
auth_listen = %q
secure_listen = %q
upstream = "%s:%s"

[[accounts]]
pid = 1234567
password = "testpassword"
`, metricsAddr, dnsAddr, up.Addr, upAuth, freeAddr(t, "udp"), freeAddr(t, "udp"), freeAddr(t, "udp"), host, upPort))

	served := make(chan error, 1)
	go func() {
		_, errOut, err := runCLI(t, "-c", path, "serve")
		if err != nil {
			err = fmt.Errorf("%w\n%s", err, errOut)
		}
		served <- err
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	waitServing(t, ctx, metricsAddr, served)

	for _, network := range []string{"udp", "tcp"} {
		for name, want := range map[string]string{host: "127.0.0.2", "other.test": "10.1.2.3"} {
			m := new(dns.Msg)
			m.SetQuestion(dns.Fqdn(name), dns.TypeA)
			r, _, err := (&dns.Client{Net: network, Timeout: 5 * time.Second}).Exchange(m, dnsAddr)
			if err != nil || len(r.Answer) != 1 || r.Answer[0].(*dns.A).A.String() != want {
				t.Errorf("%s %s: %v %v, want %s", network, name, r, err, want)
			}
		}
	}
	if n := up.Queries("", host); n != 0 {
		t.Errorf("the upstream resolver got %d queries for %s before any login: the responder answers it", n, host)
	}

	cfg, err := config.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	g := cfg.Games[1]
	c, err := proxy.Login(ctx, proxy.ClientConfig{Network: "udp", Addr: g.AuthListen, PRUDP: g.PRUDP, Kerberos: g.Kerberos, RMC: g.RMC,
		Username: "1234567", Password: "testpassword"})
	if err != nil {
		t.Fatalf("login through the proxied game: %v", err)
	}
	registerEx(t, ctx, c, g.RMC)
	_ = c.Close()
	if n := up.Queries("", host); n == 0 {
		t.Errorf("nexproxy did not look %s up at the upstream resolver", host)
	}

	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop on SIGINT")
	}
	if c, err := net.Listen("tcp", dnsAddr); err != nil {
		t.Errorf("the responder's TCP port is still taken after serve: %v", err)
	} else {
		_ = c.Close()
	}
}

// TestCheckReportsBusyDNSListener: `nexproxy check` tries the responder's
// TCP and UDP listeners when [dns] is enabled, and says nothing of them
// when it is not.
func TestCheckReportsBusyDNSListener(t *testing.T) {
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	dir := t.TempDir()
	for _, enabled := range []bool{true, false} {
		path := filepath.Join(dir, "c.toml")
		writeFile(t, path, fmt.Sprintf(`advertise = "127.0.0.1"
[dns]
enabled = %v
listen = "%s"
upstream = "192.0.2.53"
[[games]]
name = "g"
platform = "wiiu"
access_key = "25dbf96a"
auth_listen = %q
upstream = "local"
`, enabled, tcp.Addr(), freeAddr(t, "udp")))
		_, errOut, err := runCLI(t, "--log-level", "error", "-c", path, "check")
		want := "dns.listen: cannot listen on tcp " + tcp.Addr().String()
		if enabled && (!errors.Is(err, errCheckFailed) || !strings.Contains(errOut, want)) {
			t.Errorf("enabled: %v, missing %q in:\n%s", err, want, errOut)
		}
		if !enabled && err != nil {
			t.Errorf("disabled: %v\n%s", err, errOut)
		}
	}
}
