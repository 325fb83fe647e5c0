// Package auth is nexproxy's built-in authentication server (protocol 10,
// "ticket granting"): it logs consoles in against the configured accounts
// and issues Kerberos tickets for nexproxy's own secure server.
package auth

import (
	"context"
	"fmt"

	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/kerberos"
	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// Protocol is the authentication protocol id.
const Protocol = 10

// Method ids (protocols.md, protocol 10); NEX 4 renamed 1, 2 and 6.
const (
	MethodLogin          = 1 // ValidateAndRequestTicket on NEX 4
	MethodLoginEx        = 2 // ValidateAndRequestTicketWithCustomData on NEX 4
	MethodRequestTicket  = 3
	MethodGetPID         = 4
	MethodGetName        = 5
	MethodLoginWithParam = 6 // ValidateAndRequestTicketWithParam (NEX 4.4+)
)

// nex4 is the first NEX version with the renamed methods and source keys.
const nex4 = 40000

const (
	resultInvalidUsername = rmc.ResultRendezVousInvalidUsername
	resultAccessDenied    = rmc.ResultCoreAccessDenied
	resultNotImplemented  = rmc.ResultCoreNotImplemented
	resultInvalidArgument = rmc.ResultCoreInvalidArgument
)

// handler serves protocol 10 for one game.
type handler struct {
	env  *proxy.Env
	next rpc.Handler
}

// New is the proxy.Builtin of the authentication protocol.
func New(env *proxy.Env) (rpc.Link, error) {
	if env == nil || env.Game == nil || env.Accounts == nil || env.Issuer == nil || env.SecureStation == nil {
		return nil, fmt.Errorf("auth: incomplete environment")
	}
	return func(next rpc.Handler) rpc.Handler { return &handler{env: env, next: next} }, nil
}

// ServeRMC answers protocol 10 calls from consoles and passes the rest on.
func (h *handler) ServeRMC(ctx context.Context, c *rpc.Call) (*rpc.Reply, error) {
	if c.Protocol != Protocol || c.Direction != rpc.ToServer {
		return h.next.ServeRMC(ctx, c)
	}
	s := c.Session.Settings
	r := rmc.NewReader(c.Body, s)
	nx := s.NEXVersion >= nex4
	switch c.Method {
	case MethodLogin:
		name := r.String()
		if err := r.Err(); err != nil {
			return rpc.ErrorReply(resultInvalidArgument), nil
		}
		return h.login(c, name, nx), nil
	case MethodLoginEx:
		name := r.String()
		class, _ := r.AnyDataRaw()
		if err := r.Err(); err != nil {
			return rpc.ErrorReply(resultInvalidArgument), nil
		}
		h.env.Log.Debug("login with extra data", zap.String("class", class), zap.String("session", c.Session.ID))
		return h.login(c, name, nx), nil
	case MethodRequestTicket:
		source, target := r.PID(), r.PID()
		if err := r.Err(); err != nil {
			return rpc.ErrorReply(resultInvalidArgument), nil
		}
		return h.requestTicket(c, source, target, nx), nil
	case MethodGetPID:
		name := r.String()
		if err := r.Err(); err != nil {
			return rpc.ErrorReply(resultInvalidArgument), nil
		}
		w := rmc.NewWriter(s)
		acc, ok := h.env.Accounts.ByName(name)
		if !ok {
			if nx {
				return rpc.ErrorReply(resultInvalidUsername), nil
			}
			acc.PID = 0
		}
		w.PID(acc.PID)
		return &rpc.Reply{Body: w.Bytes()}, nil
	case MethodGetName:
		pid := r.PID()
		if err := r.Err(); err != nil {
			return rpc.ErrorReply(resultInvalidArgument), nil
		}
		acc, ok := h.env.Accounts.ByPID(pid)
		if !ok && nx {
			return rpc.ErrorReply(resultInvalidUsername), nil
		}
		w := rmc.NewWriter(s)
		w.String(acc.Username)
		return &rpc.Reply{Body: w.Bytes()}, nil
	case MethodLoginWithParam:
		if !nx {
			return rpc.ErrorReply(resultNotImplemented), nil
		}
		return h.loginWithParam(c, r), nil
	}
	return h.next.ServeRMC(ctx, c)
}

// issue makes a ticket for acc.
func (h *handler) issue(acc proxy.Account) (ticket, userKey []byte, err error) {
	userKey, err = h.env.Keys.Key(h.env.Game.Kerberos.Derivation, acc.PID, acc.Password)
	if err != nil {
		return nil, nil, err
	}
	ticket, _, err = h.env.Issuer.Issue(userKey, acc.PID)
	if err != nil {
		return nil, nil, err
	}
	return ticket, userKey, nil
}

// authenticate logs the named user in: it finds the account, issues a
// ticket and remembers the PID on the session. refused is the answer when
// that fails; extra goes on the log line of a success.
func (h *handler) authenticate(c *rpc.Call, name string, extra ...zap.Field) (acc proxy.Account, ticket, key []byte, refused *rpc.Reply) {
	acc, ok := h.env.Accounts.ByName(name)
	if !ok {
		h.env.Log.Info("login refused: unknown user", zap.String("session", c.Session.ID), zap.String("user", name))
		return acc, nil, nil, rpc.ErrorReply(resultInvalidUsername)
	}
	ticket, key, err := h.issue(acc)
	if err != nil {
		h.env.Log.Error("issue ticket", zap.String("session", c.Session.ID), zap.Uint64("pid", acc.PID), zap.Error(err))
		return acc, nil, nil, rpc.ErrorReply(resultAccessDenied)
	}
	h.env.LoggedIn(c.Session, acc.PID)
	fields := append([]zap.Field{zap.String("session", c.Session.ID), zap.Uint64("pid", acc.PID), zap.Uint32("call_id", c.CallID)}, extra...)
	h.env.Log.Info("login", fields...)
	return acc, ticket, key, nil
}

// login answers Login and LoginEx; NEX 4's LoginEx
// (ValidateAndRequestTicketWithCustomData) also returns the source key.
func (h *handler) login(c *rpc.Call, name string, nx bool) *rpc.Reply {
	s := c.Session.Settings
	acc, ticket, key, refused := h.authenticate(c, name)
	if refused != nil {
		return refused
	}
	w := rmc.NewWriter(s)
	w.Result(rmc.ResultSuccess)
	w.PID(acc.PID)
	w.Buffer(ticket)
	h.connectionData(w)
	w.String(h.env.Game.ServerName)
	if nx && c.Method == MethodLoginEx {
		w.String(kerberos.ToHex(key))
	}
	return &rpc.Reply{Body: w.Bytes()}
}

// connectionData writes RVConnectionData: the secure station, no special
// protocols, an empty special station and, from NEX 3.5 with headers, the
// server time.
func (h *handler) connectionData(w *rmc.Writer) {
	s := w.Settings()
	var version uint8
	if s.NEXVersion >= 30500 {
		version = 1
	}
	w.StructBegin(version)
	w.StationURL(h.env.SecureStation())
	w.ListLen(0)
	w.String("prudp:/")
	if s.StructHeader && version >= 1 {
		w.DateTime(rmc.Now())
	}
	w.StructEnd(nil)
}

func (h *handler) requestTicket(c *rpc.Call, source, target uint64, nx bool) *rpc.Reply {
	s := c.Session.Settings
	w := rmc.NewWriter(s)
	// Only the user the connection logged in as may ask, and only for
	// nexproxy's own secure server.
	if c.Session.PID() != source || target != proxy.SecureServerPID {
		return rpc.ErrorReply(resultAccessDenied)
	}
	acc, ok := h.env.Accounts.ByPID(source)
	if !ok {
		return rpc.ErrorReply(resultAccessDenied)
	}
	ticket, _, err := h.issue(acc)
	if err != nil {
		h.env.Log.Error("issue ticket", zap.String("session", c.Session.ID), zap.Uint64("pid", source), zap.Error(err))
		return rpc.ErrorReply(resultAccessDenied)
	}
	w.Result(rmc.ResultSuccess)
	w.Buffer(ticket)
	if nx {
		w.String("")
	}
	return &rpc.Reply{Body: w.Bytes()}
}

// loginWithParam serves ValidateAndRequestTicketWithParam: a password
// login when the data is NullData (empty source key), a token login
// otherwise (the source key is handed out, as NEX 4 servers do).
func (h *handler) loginWithParam(c *rpc.Call, r *rmc.Reader) *rpc.Reply {
	s := c.Session.Settings
	r.StructBegin()
	_ = r.U32() // platform
	name := r.String()
	class, _ := r.AnyDataRaw()
	_ = r.Bool() // skip_version_check
	_ = r.U32()  // nex_version
	_ = r.U32()  // client_version
	r.StructEnd()
	if err := r.Err(); err != nil {
		return rpc.ErrorReply(resultInvalidArgument)
	}
	acc, ticket, key, refused := h.authenticate(c, name, zap.String("data", class))
	if refused != nil {
		return refused
	}
	sourceKey := ""
	if class != "NullData" {
		sourceKey = kerberos.ToHex(key)
	}
	w := rmc.NewWriter(s)
	w.StructBegin(0)
	w.PID(acc.PID)
	w.Buffer(ticket)
	w.StationURL(h.env.SecureStation())
	w.DateTime(rmc.Now())
	w.String(h.env.Game.ServerName)
	w.String(sourceKey)
	w.StructEnd(nil)
	return &rpc.Reply{Body: w.Bytes()}
}
