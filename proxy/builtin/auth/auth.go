// Package auth is nexproxy's built-in authentication server (protocol 10,
// "ticket granting"): it logs consoles in against the game's accounts and
// issues Kerberos tickets for nexproxy's own secure server. It serves a
// game exactly when the game has no upstream.
package auth

import (
	"context"
	"errors"
	"fmt"

	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/kerberos"
	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/proxy/builtin"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/protocols/authentication"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// Name is the service's name in the registry and in logs.
const Name = "authentication"

func init() {
	builtin.Register(builtin.Service{
		Name:      Name,
		Protocols: []uint16{authentication.ProtocolID},
		Core:      true,
		Stores:    []builtin.Store{builtin.StoreAccounts},
		New: func(env *builtin.Env) (builtin.Instance, error) {
			e := env.Env
			if e == nil || e.Game == nil || e.Accounts == nil || e.Issuer == nil || e.Keys == nil || e.SecureStation == nil {
				return nil, fmt.Errorf("auth: incomplete environment")
			}
			return &server{env: e}, nil
		},
	})
}

// server serves protocol 10 for one game. Every method of the NEX version
// in use is implemented; LoginWithContext (method 6 before NEX 4) is not
// described well enough to serve and answers Core::NotImplemented.
type server struct {
	env *proxy.Env
}

// Install puts the authentication methods on the game's mux.
func (s *server) Install(m *rpc.Mux) error { return authentication.Register(m, Name, s) }

// Compile-time checks: every layout the service means to serve.
var (
	_ authentication.LoginServer                                  = (*server)(nil)
	_ authentication.ValidateAndRequestTicketServer               = (*server)(nil)
	_ authentication.LoginExServer                                = (*server)(nil)
	_ authentication.ValidateAndRequestTicketWithCustomDataServer = (*server)(nil)
	_ authentication.RequestTicketServer                          = (*server)(nil)
	_ authentication.GetPIDServer                                 = (*server)(nil)
	_ authentication.GetNameServer                                = (*server)(nil)
	_ authentication.ValidateAndRequestTicketWithParamServer      = (*server)(nil)
)

// nex4 is the first NEX version with the renamed methods and source keys.
const nex4 = 40000

// login is a successful login: the account and what was issued for it.
type login struct {
	acc    proxy.Account
	ticket []byte
	key    []byte // the user's key: the source key of token logins
}

// authenticate logs the named user in: it finds the account, issues a
// ticket and reports the login. A refusal is the error to answer with: an
// RMC error, as NintendoClients' server answers and its client expects an
// unknown user (the wikis put RendezVous::InvalidUsername in the result
// field instead; a console fails the login either way).
func (s *server) authenticate(ctx context.Context, c *rpc.Call, name string, extra ...zap.Field) (login, error) {
	acc, err := s.env.Accounts.LookupName(ctx, name)
	if errors.Is(err, proxy.ErrNoAccount) {
		s.env.Log.Info("login refused: unknown user", zap.String("conn", c.Session.ID), zap.Uint32("call_id", c.CallID), zap.String("user", name))
		return login{}, rpc.Fail(rmc.ResultRendezVousInvalidUsername)
	}
	if err != nil {
		return login{}, s.lookupFailed(c, err, zap.String("user", name))
	}
	ticket, key, err := s.issue(acc)
	if err != nil {
		s.env.Log.Error("issue ticket", zap.String("conn", c.Session.ID), zap.Uint64("pid", acc.PID), zap.Error(err))
		return login{}, rpc.Fail(rmc.ResultCoreAccessDenied)
	}
	s.env.LoggedIn(c.Session, acc.PID)
	fields := append([]zap.Field{zap.String("conn", c.Session.ID), zap.Uint64("pid", acc.PID), zap.Uint32("call_id", c.CallID)}, extra...)
	s.env.Log.Info("login", fields...)
	return login{acc: acc, ticket: ticket, key: key}, nil
}

// lookupFailed logs a failed account lookup (the store, not the user, is at
// fault) and is the error to answer with: the console is refused rather
// than told its account does not exist.
func (s *server) lookupFailed(c *rpc.Call, err error, fields ...zap.Field) error {
	s.env.Log.Error("account lookup failed: refused",
		append([]zap.Field{zap.String("conn", c.Session.ID), zap.Uint32("call_id", c.CallID), zap.Error(err)}, fields...)...)
	return rpc.Fail(rmc.ResultCoreSystemError)
}

// issue makes a ticket for acc, sealed with the user's key.
func (s *server) issue(acc proxy.Account) (ticket, userKey []byte, err error) {
	userKey, err = s.env.Keys.Key(s.env.Game.Kerberos.Derivation, acc.PID, acc.Password)
	if err != nil {
		return nil, nil, err
	}
	ticket, _, err = s.env.Issuer.Issue(userKey, acc.PID)
	if err != nil {
		return nil, nil, err
	}
	return ticket, userKey, nil
}

// connectionData is what a login hands out: nexproxy's secure station, no
// special protocols, an empty special station and the server time (which
// the structure carries from NEX 3.5).
func (s *server) connectionData() authentication.RVConnectionData {
	special, _ := rmc.ParseStationURL("prudp:/")
	return authentication.RVConnectionData{MainStation: s.env.SecureStation(), SpecialStation: special, ServerTime: rmc.Now()}
}

// Login answers Login (NEX < 4).
func (s *server) Login(ctx context.Context, c *rpc.Call, req *authentication.LoginRequest) (*authentication.LoginResponse, error) {
	l, err := s.authenticate(ctx, c, req.Username)
	if err != nil {
		return nil, err
	}
	return &authentication.LoginResponse{Result: rmc.ResultSuccess, PID: l.acc.PID, Ticket: l.ticket,
		ConnectionData: s.connectionData(), ServerName: s.env.Game.ServerName}, nil
}

// ValidateAndRequestTicket is NEX 4's Login.
func (s *server) ValidateAndRequestTicket(ctx context.Context, c *rpc.Call, req *authentication.ValidateAndRequestTicketRequest) (*authentication.ValidateAndRequestTicketResponse, error) {
	l, err := s.authenticate(ctx, c, req.Username)
	if err != nil {
		return nil, err
	}
	return &authentication.ValidateAndRequestTicketResponse{Result: rmc.ResultSuccess, PID: l.acc.PID, Ticket: l.ticket,
		ConnectionData: s.connectionData(), ServerName: s.env.Game.ServerName}, nil
}

// LoginEx answers LoginEx (NEX < 4); the extra data (an AuthenticationInfo
// token) is logged, not checked: local accounts log in by password.
func (s *server) LoginEx(ctx context.Context, c *rpc.Call, req *authentication.LoginExRequest) (*authentication.LoginExResponse, error) {
	l, err := s.authenticate(ctx, c, req.Username, zap.String("data", req.ExtraData.Class))
	if err != nil {
		return nil, err
	}
	return &authentication.LoginExResponse{Result: rmc.ResultSuccess, PID: l.acc.PID, Ticket: l.ticket,
		ConnectionData: s.connectionData(), ServerName: s.env.Game.ServerName}, nil
}

// ValidateAndRequestTicketWithCustomData is NEX 4's LoginEx; it also hands
// out the source key (the user's key in hex), as NEX 4 servers do.
func (s *server) ValidateAndRequestTicketWithCustomData(ctx context.Context, c *rpc.Call, req *authentication.ValidateAndRequestTicketWithCustomDataRequest) (*authentication.ValidateAndRequestTicketWithCustomDataResponse, error) {
	l, err := s.authenticate(ctx, c, req.Username, zap.String("data", req.ExtraData.Class))
	if err != nil {
		return nil, err
	}
	return &authentication.ValidateAndRequestTicketWithCustomDataResponse{Result: rmc.ResultSuccess, PID: l.acc.PID, Ticket: l.ticket,
		ConnectionData: s.connectionData(), ServerName: s.env.Game.ServerName, SourceKey: kerberos.ToHex(l.key)}, nil
}

// ValidateAndRequestTicketWithParam (NEX 4.4+) is a password login when its
// data is NullData (empty source key), a token login otherwise (the source
// key handed out).
func (s *server) ValidateAndRequestTicketWithParam(ctx context.Context, c *rpc.Call, req *authentication.ValidateAndRequestTicketWithParamRequest) (*authentication.ValidateAndRequestTicketWithParamResponse, error) {
	class := req.Param.Data.Class
	l, err := s.authenticate(ctx, c, req.Param.Username, zap.String("data", class))
	if err != nil {
		return nil, err
	}
	sourceKey := ""
	if class != "NullData" {
		sourceKey = kerberos.ToHex(l.key)
	}
	return &authentication.ValidateAndRequestTicketWithParamResponse{Result: authentication.ValidateAndRequestTicketResult{
		PID: l.acc.PID, Ticket: l.ticket, ServerURL: s.env.SecureStation(), ServerTime: rmc.Now(),
		ServerName: s.env.Game.ServerName, SourceKey: sourceKey,
	}}, nil
}

// RequestTicket issues another ticket for nexproxy's secure server; only the
// user the connection logged in as may ask. A refusal is Core::AccessDenied
// in the result field with an empty ticket, as NEX servers answer it
// (protocols.md), not an RMC error.
func (s *server) RequestTicket(ctx context.Context, c *rpc.Call, req *authentication.RequestTicketRequest) (*authentication.RequestTicketResponse, error) {
	ticket, err := s.requestTicket(ctx, c, req)
	if err != nil {
		return &authentication.RequestTicketResponse{Result: rpc.ResultOf(err)}, nil
	}
	return &authentication.RequestTicketResponse{Result: rmc.ResultSuccess, Ticket: ticket}, nil
}

// requestTicket is RequestTicket's check and issue; a refusal is an
// rpc.Fail error holding the result to answer with.
func (s *server) requestTicket(ctx context.Context, c *rpc.Call, req *authentication.RequestTicketRequest) ([]byte, error) {
	if c.Session.PID() != req.Source || req.Target != proxy.SecureServerPID {
		return nil, rpc.Fail(rmc.ResultCoreAccessDenied)
	}
	acc, err := s.env.Accounts.LookupPID(ctx, req.Source)
	if errors.Is(err, proxy.ErrNoAccount) {
		// Removed since the login.
		return nil, rpc.Fail(rmc.ResultCoreAccessDenied)
	}
	if err != nil {
		return nil, s.lookupFailed(c, err, zap.Uint64("pid", req.Source))
	}
	ticket, _, err := s.issue(acc)
	if err != nil {
		s.env.Log.Error("issue ticket", zap.String("conn", c.Session.ID), zap.Uint64("pid", req.Source), zap.Error(err))
		return nil, rpc.Fail(rmc.ResultCoreAccessDenied)
	}
	return ticket, nil
}

// GetPID returns a user's PID; an unknown name is PID 0 before NEX 4 and
// RendezVous::InvalidUsername from NEX 4.
func (s *server) GetPID(ctx context.Context, c *rpc.Call, req *authentication.GetPIDRequest) (*authentication.GetPIDResponse, error) {
	acc, err := s.env.Accounts.LookupName(ctx, req.Username)
	if err != nil && !errors.Is(err, proxy.ErrNoAccount) {
		return nil, s.lookupFailed(c, err, zap.String("user", req.Username))
	}
	if err != nil && c.Session.Settings.NEXVersion >= nex4 {
		return nil, rpc.Fail(rmc.ResultRendezVousInvalidUsername)
	}
	return &authentication.GetPIDResponse{PID: acc.PID}, nil
}

// GetName returns a user's name; an unknown PID is an empty name before
// NEX 4 and RendezVous::InvalidUsername from NEX 4.
func (s *server) GetName(ctx context.Context, c *rpc.Call, req *authentication.GetNameRequest) (*authentication.GetNameResponse, error) {
	acc, err := s.env.Accounts.LookupPID(ctx, req.PID)
	if err != nil && !errors.Is(err, proxy.ErrNoAccount) {
		return nil, s.lookupFailed(c, err, zap.Uint64("pid", req.PID))
	}
	if err != nil && c.Session.Settings.NEXVersion >= nex4 {
		return nil, rpc.Fail(rmc.ResultRendezVousInvalidUsername)
	}
	return &authentication.GetNameResponse{Name: acc.Username}, nil
}
