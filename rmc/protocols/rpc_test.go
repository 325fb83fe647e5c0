package protocols_test

import (
	"context"
	"errors"
	"net/netip"
	"testing"

	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/protocols/authentication"
	"github.com/nexproxy/nexproxy/rmc/protocols/matchmakeextension"
	"github.com/nexproxy/nexproxy/rmc/protocols/matchmakeextension/mk8"
	"github.com/nexproxy/nexproxy/rmc/protocols/utility"
	"github.com/nexproxy/nexproxy/rmc/rpc"
	"github.com/nexproxy/nexproxy/rmc/typed"
)

// chainCaller is a simulated console: it hands calls to a handler chain as
// the proxy would.
type chainCaller struct {
	h    rpc.Handler
	sess *rpc.Session
}

func (c *chainCaller) Call(ctx context.Context, protocol uint16, method uint32, body []byte) (*rmc.Message, error) {
	r, err := c.h.ServeRMC(ctx, &rpc.Call{Session: c.sess, Protocol: protocol, Method: method, Body: body})
	if err != nil {
		return nil, err
	}
	if !r.Success() {
		return rmc.NewError(protocol, method, 1, r.Error), nil
	}
	return rmc.NewResponse(protocol, method, 1, r.Body), nil
}

// authService serves Login and GetPID only.
type authService struct{}

func (authService) Login(_ context.Context, c *rpc.Call, req *authentication.LoginRequest) (*authentication.LoginResponse, error) {
	resp := &authentication.LoginResponse{Result: rmc.ResultSuccess, PID: 1000, ServerName: "test:" + req.Username}
	resp.ConnectionData.SetDefaults()
	resp.ConnectionData.MainStation = typed.URL("prudps:/address=127.0.0.1;port=1224")
	return resp, nil
}

func (authService) GetPID(_ context.Context, _ *rpc.Call, req *authentication.GetPIDRequest) (*authentication.GetPIDResponse, error) {
	if req.Username != "alice" {
		return nil, rpc.Fail(rmc.ResultRendezVousInvalidUsername)
	}
	return &authentication.GetPIDResponse{PID: 42}, nil
}

func newConsole(t *testing.T, nex int, register func(m *rpc.Mux)) *chainCaller {
	t.Helper()
	m := rpc.NewMux()
	register(m)
	s := rmc.Settings{PIDSize: 4, StructHeader: true, NEXVersion: nex}
	return &chainCaller{h: rpc.Chain(rpc.NotImplemented, m.Link()), sess: rpc.NewSession("t", "game", rpc.LegAuth, netip.AddrPort{}, s)}
}

func resultOf(t *testing.T, err error) rmc.Result {
	t.Helper()
	var re *rpc.ResultError
	if !errors.As(err, &re) {
		t.Fatalf("error %v is not an *rpc.ResultError", err)
	}
	return re.Result
}

func TestRegisterAndClient(t *testing.T) {
	ctx := context.Background()
	console := newConsole(t, 30504, func(m *rpc.Mux) {
		if err := authentication.Register(m, "auth", authService{}); err != nil {
			t.Fatal(err)
		}
		if m.Len() != 2 || !m.Serves(authentication.ProtocolID, authentication.MethodLogin) || m.Serves(authentication.ProtocolID, authentication.MethodGetName) {
			t.Fatalf("registered %v", m.Methods())
		}
	})
	cl := authentication.NewClient(console, console.sess.Settings)
	resp, err := cl.Login(ctx, &authentication.LoginRequest{Username: "1000"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.PID != 1000 || resp.ServerName != "test:1000" || resp.ConnectionData.MainStation.String() != "prudps:/address=127.0.0.1;port=1224" {
		t.Fatalf("login response %+v", resp)
	}
	if pid, err := cl.GetPID(ctx, &authentication.GetPIDRequest{Username: "alice"}); err != nil || pid.PID != 42 {
		t.Fatalf("GetPID = %v, %v", pid, err)
	}
	_, err = cl.GetPID(ctx, &authentication.GetPIDRequest{Username: "bob"})
	if r := resultOf(t, err); r != rmc.ResultRendezVousInvalidUsername {
		t.Fatalf("GetPID(bob) result %v", r)
	}
	// Not implemented by the service: the call falls through the mux.
	_, err = cl.GetName(ctx, &authentication.GetNameRequest{PID: 1})
	if r := resultOf(t, err); r != rmc.ResultCoreNotImplemented {
		t.Fatalf("GetName result %v", r)
	}
	// A request that does not decode is answered Core::InvalidArgument.
	msg, err := console.Call(ctx, authentication.ProtocolID, authentication.MethodGetPID, []byte{9, 0, 'a'})
	if err != nil || msg.Success || msg.Error != rmc.ResultCoreInvalidArgument {
		t.Fatalf("bad body: %+v, %v", msg, err)
	}
}

// TestRegisterByNEXVersion checks that method 1 is dispatched by the
// session's NEX version: a NEX 4 console calls ValidateAndRequestTicket,
// which the Login-only service does not serve, so the call passes on.
func TestRegisterByNEXVersion(t *testing.T) {
	ctx := context.Background()
	console := newConsole(t, 40605, func(m *rpc.Mux) {
		if err := authentication.Register(m, "auth", authService{}); err != nil {
			t.Fatal(err)
		}
	})
	cl := authentication.NewClient(console, console.sess.Settings)
	_, err := cl.ValidateAndRequestTicket(ctx, &authentication.ValidateAndRequestTicketRequest{Username: "1000"})
	if r := resultOf(t, err); r != rmc.ResultCoreNotImplemented {
		t.Fatalf("ValidateAndRequestTicket on a Login-only service: %v", r)
	}
}

func TestRegisterErrors(t *testing.T) {
	m := rpc.NewMux()
	if err := utility.Register(m, "none", struct{}{}); err == nil {
		t.Fatal("registered an implementation of nothing")
	}
	if err := authentication.Register(m, "a", authService{}); err != nil {
		t.Fatal(err)
	}
	if err := authentication.Register(m, "b", authService{}); err == nil {
		t.Fatal("two services registered the same methods")
	}
}

// mk8Join serves MK8's method 40 only.
type mk8Join struct{}

func (mk8Join) JoinMatchmakeSessionWithExtraParticipants(_ context.Context, _ *rpc.Call, req *mk8.JoinMatchmakeSessionWithExtraParticipantsRequest) (*mk8.JoinMatchmakeSessionWithExtraParticipantsResponse, error) {
	return &mk8.JoinMatchmakeSessionWithExtraParticipantsResponse{SessionKey: []byte{byte(req.ParticipationCount)}}, nil
}

// baseClose serves the base protocol's method 1.
type baseClose struct{}

func (baseClose) CloseParticipation(context.Context, *rpc.Call, *matchmakeextension.CloseParticipationRequest) (*matchmakeextension.CloseParticipationResponse, error) {
	return nil, nil
}

func TestVariantRegister(t *testing.T) {
	ctx := context.Background()
	console := newConsole(t, 30504, func(m *rpc.Mux) {
		if err := matchmakeextension.Register(m, "mm", baseClose{}); err != nil {
			t.Fatal(err)
		}
		if err := mk8.Register(m, "mk8", mk8Join{}); err != nil {
			t.Fatal(err)
		}
	})
	resp, err := mk8.NewClient(console, console.sess.Settings).JoinMatchmakeSessionWithExtraParticipants(ctx,
		&mk8.JoinMatchmakeSessionWithExtraParticipantsRequest{GID: 5, ParticipationCount: 3})
	if err != nil || len(resp.SessionKey) != 1 || resp.SessionKey[0] != 3 {
		t.Fatalf("mk8 join: %+v, %v", resp, err)
	}
	if _, err := matchmakeextension.NewClient(console, console.sess.Settings).CloseParticipation(ctx, &matchmakeextension.CloseParticipationRequest{GID: 5}); err != nil {
		t.Fatal(err)
	}
	if mk8.ProtocolID != matchmakeextension.ProtocolID || mk8.MethodJoinMatchmakeSessionWithExtraParticipants != 40 {
		t.Fatal("variant ids")
	}
}

// Compile-time: a full implementation satisfies Server.
var _ mk8.Server = struct {
	mk8.CreateSimpleSearchObjectServer
	mk8.UpdateSimpleSearchObjectServer
	mk8.DeleteSimpleSearchObjectServer
	mk8.SearchSimpleSearchObjectServer
	mk8.JoinMatchmakeSessionWithExtraParticipantsServer
	mk8.SearchSimpleSearchObjectByObjectIdsServer
}{}
