package proxy_test

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/nexproxy/nexproxy/kerberos"
	"github.com/nexproxy/nexproxy/proxy"
)

// TestSecureConnectVerified presents nexproxy's secure listener with
// tickets it must refuse: one sealed by the upstream (not reissued by
// nexproxy) and one of its own with a request for another PID. The same
// ticket with the right PID is accepted, so the refusals are the
// verification's doing.
func TestSecureConnectVerified(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, runs after every other cleanup
	up, upCfg := startServer(t, testGame{platform: "wiiu", upstream: "local", accounts: true}, nil)
	defer up.Close()
	front, cfg := startServer(t, testGame{platform: "wiiu", upstream: upstreamAddr(up), accounts: true}, nil)
	defer front.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cc := clientConfig(cfg, front)
	key, err := cc.Keys.Key(cc.Kerberos.Derivation, 1234567, cc.Password)
	if err != nil {
		t.Fatal(err)
	}
	secureAddr := front.SecureAddr("g").String()
	dial := func(ticket []byte, pid uint64) error {
		ct, err := kerberos.DecryptClientTicket(key, ticket, cc.Kerberos)
		if err != nil {
			t.Fatalf("client ticket: %v", err)
		}
		payload, err := kerberos.BuildConnectPayload(ct.InternalTicket, ct.SessionKey, kerberos.ConnectRequest{PID: pid, CID: 1, Check: 7}, cc.Kerberos)
		if err != nil {
			t.Fatal(err)
		}
		dctx, dcancel := context.WithTimeout(ctx, 2*time.Second)
		defer dcancel()
		conn, err := proxy.DialSecureForTest(dctx, cc, secureAddr, payload, ct.SessionKey)
		if conn != nil {
			conn.Close()
		}
		return err
	}

	direct, err := proxy.Login(ctx, clientConfig(upCfg, up))
	if err != nil {
		t.Fatalf("login at the upstream: %v", err)
	}
	upTicket := direct.Ticket
	direct.Close()
	if err := dial(upTicket, 1234567); err == nil {
		t.Error("nexproxy accepted a ticket it did not issue")
	}

	via, err := proxy.Login(ctx, cc)
	if err != nil {
		t.Fatalf("login through nexproxy: %v", err)
	}
	ours := via.Ticket
	via.Close()
	if err := dial(ours, 7654321); err == nil {
		t.Error("nexproxy accepted a CONNECT for a PID its ticket does not name")
	}
	if err := dial(ours, 1234567); err != nil {
		t.Errorf("nexproxy refused its own ticket: %v", err)
	}
}
