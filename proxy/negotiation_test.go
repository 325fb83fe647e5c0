package proxy_test

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/nexproxy/nexproxy/proxy"
)

// TestNegotiatedMinorVersion logs a console in that offers PRUDP minor
// version 2 to a Wii U game configured for 4: the connection negotiates 2,
// so its RMC structures carry no headers. nexproxy must decode and rewrite
// the login response without headers, and offer the same minor version to
// the upstream so that both sides encode alike.
func TestNegotiatedMinorVersion(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, runs after every other cleanup
	up, _ := startServer(t, testGame{platform: "wiiu", upstream: "local", accounts: true}, &memRecorder{})
	defer up.Close()
	frontRec := &memRecorder{}
	front, cfg := startServer(t, testGame{platform: "wiiu", upstream: upstreamAddr(up), accounts: true}, frontRec)
	defer front.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cc := clientConfig(cfg, front)
	cc.PRUDP.MinorVersion = 2
	cc.RMC.StructHeader = false
	c, err := proxy.Login(ctx, cc)
	if err != nil {
		t.Fatalf("login with minor version 2: %v", err)
	}
	defer c.Close()
	if port, _ := c.Station.Port(); port != portOf(front.SecureAddr("g")) {
		t.Errorf("client station %s, want nexproxy's secure port", c.Station.String())
	}
	if e := frontRec.find(10, 1); e == nil || e.Response == nil {
		t.Fatal("the login response was not decoded without structure headers")
	}
	pub := registerEx(t, ctx, c, cc.RMC)
	checkPublic(t, c, pub)
}
