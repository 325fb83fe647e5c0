package auth

import (
	"context"
	"net/netip"
	"testing"

	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/kerberos"
	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/proxy/config"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/protocols/authentication"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// testEnv is the environment of a Wii U game with one user, 1234567
// (password "pw"), whose secure server is PID 2.
func testEnv(tb testing.TB) *proxy.Env {
	tb.Helper()
	game := &config.Game{Name: "g", Platform: "wiiu", Upstream: "local", ServerName: "build:test",
		Kerberos: kerberos.Settings{KeySize: 32, PIDSize: 4, TicketVersion: 1}}
	return &proxy.Env{
		Game:     game,
		Accounts: proxy.NewAccounts(game, []config.Account{{PID: 1234567, Password: "pw"}}, nil),
		Issuer:   &kerberos.Issuer{SecureKey: make([]byte, 16), ServerPID: proxy.SecureServerPID, Settings: game.Kerberos},
		Keys:     kerberos.NewKeyCache(0),
		SecureStation: func() rmc.StationURL {
			u, _ := rmc.ParseStationURL("prudps:/address=127.0.0.1;port=1;PID=2;CID=1")
			return u
		},
		Log: zap.NewNop(),
	}
}

// testServer is the authentication server of testEnv and a call on a
// fresh authentication session.
func testServer(t *testing.T, nex int) (*server, *rpc.Call) {
	t.Helper()
	sess := rpc.NewSession("t", "g", rpc.LegAuth, netip.AddrPort{}, rmc.Settings{PIDSize: 4, NEXVersion: nex, StructHeader: true})
	return &server{env: testEnv(t)}, &rpc.Call{Session: sess, Protocol: authentication.ProtocolID}
}

// TestRequestTicketRefusalInResult: RequestTicket for another user or a
// target other than the secure server answers Core::AccessDenied in the
// result with an empty ticket (wikis; Pretendo), not an RMC error.
func TestRequestTicketRefusalInResult(t *testing.T) {
	ctx := context.Background()
	for _, nex := range []int{30504, 40605} {
		s, c := testServer(t, nex)
		if _, err := s.Login(ctx, c, &authentication.LoginRequest{Username: "1234567"}); err != nil {
			t.Fatal(err)
		}
		for _, req := range []authentication.RequestTicketRequest{
			{Source: 1234567, Target: 999},                       // unknown server
			{Source: 7654321, Target: proxy.SecureServerPID},     // not the logged-in user
			{Source: 1234567, Target: proxy.SecureServerPID + 1}, // another principal
		} {
			r, err := s.RequestTicket(ctx, c, &req)
			if err != nil {
				t.Errorf("NEX %d %+v: RMC error %v, want the refusal in the result", nex, req, err)
				continue
			}
			if r.Result != rmc.ResultCoreAccessDenied|rmc.ResultErrorBit || len(r.Ticket) != 0 || r.SourceKey != "" {
				t.Errorf("NEX %d %+v: result %v ticket %d bytes source key %q, want Core::AccessDenied and blank fields", nex, req, r.Result, len(r.Ticket), r.SourceKey)
			}
		}
		r, err := s.RequestTicket(ctx, c, &authentication.RequestTicketRequest{Source: 1234567, Target: proxy.SecureServerPID})
		if err != nil || r.Result.IsError() || len(r.Ticket) == 0 {
			t.Errorf("NEX %d: RequestTicket for the secure server: %+v %v", nex, r, err)
		}
	}
}
