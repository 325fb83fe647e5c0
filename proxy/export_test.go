package proxy

import (
	"context"
	"time"

	"github.com/nexproxy/nexproxy/prudp"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/peer"
)

// DialSecureForTest opens a secure connection at addr with a CONNECT
// payload the test built, so that tests can present tickets and requests
// a well-behaved console would not.
func DialSecureForTest(ctx context.Context, cfg ClientConfig, addr string, payload, key []byte) (*prudp.Conn, error) {
	conn, _, err := dialClient(ctx, cfg, addr, prudp.VPort{Type: prudp.StreamRVSecure, Port: 1}, payload, key, nil)
	return conn, err
}

// DialStationForTest opens a secure connection where station says, as a
// console does after its login, with a CONNECT payload the test built.
func DialStationForTest(ctx context.Context, cfg ClientConfig, station rmc.StationURL, payload, key []byte) (*prudp.Conn, error) {
	addr, vp, _, err := secureTarget(station, cfg.Addr)
	if err != nil {
		return nil, err
	}
	conn, _, err := dialClient(ctx, cfg, addr, vp, payload, key, nil)
	return conn, err
}

// AuthOnlyForTest connects to the authentication server of cfg without
// logging in: the test makes the calls itself (logins without secure
// connections, malformed requests). Close the returned client.
func AuthOnlyForTest(ctx context.Context, cfg ClientConfig) (*Client, error) {
	c := &Client{}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	c.cancel = cancel
	ac, _, err := dialClient(ctx, cfg, cfg.Addr, prudp.VPort{Type: prudp.StreamRVSecure, Port: 1}, nil, nil, nil)
	if err != nil {
		c.Close()
		return nil, err
	}
	c.authConn = ac
	c.Auth = peer.New(peer.PRUDPWire(ac), cfg.Logger, nil)
	c.start(runCtx, ac, c.Auth)
	return c, nil
}

// RefusalBody is a login (method 1) or ticket request (3) response
// refused in its result field, for the external tests' scripted
// upstreams.
var RefusalBody = refusalBody

// ExpireKeylessForTest ages every login relayed decoded past its window,
// as if the console's next secure CONNECT came later than a ticket lasts.
func ExpireKeylessForTest(s *Server) {
	s.keyless.mu.Lock()
	defer s.keyless.mu.Unlock()
	for _, l := range s.keyless.m {
		l.issued = time.Now().Add(-loginWindow - time.Second)
	}
}
