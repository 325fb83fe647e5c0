package proxy

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"

	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/kerberos"
	"github.com/nexproxy/nexproxy/prudp"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/peer"
)

// ClientConfig describes a simulated console: the game's settings, the
// authentication server and the user. `nexproxy bench` and the tests log
// in with it.
type ClientConfig struct {
	// Network is "udp", "ws" or "wss".
	Network string
	// Addr is the authentication server's host:port.
	Addr     string
	PRUDP    prudp.Settings
	Kerberos kerberos.Settings
	RMC      rmc.Settings
	Username string
	Password string
	// TLSConfig is used for wss.
	TLSConfig *tls.Config
	Logger    *zap.Logger
	// OnRequest, when set, receives the calls and notifications the server
	// sends on the secure connection (each on its own goroutine); a call
	// that is not one-way must be answered with p.Respond.
	OnRequest func(ctx context.Context, p *peer.Peer, m *rmc.Message)
	// Keys caches the derived password key across logins (the old
	// derivation costs ~65000 MD5 rounds); nil derives it every time.
	Keys *kerberos.KeyCache
}

// Client is a logged-in simulated console: an authentication connection
// and a secure connection, both RMC peers.
type Client struct {
	// PID is the user's principal id from the login response.
	PID uint64
	// Station is the secure station URL the login returned.
	Station rmc.StationURL
	// Ticket is the client ticket as received; SessionKey the session key
	// inside it.
	Ticket, SessionKey []byte
	// Auth and Secure are the two connections' RMC peers.
	Auth, Secure *peer.Peer
	// SecureLocal is the client's own address on the secure connection.
	SecureLocal netip.AddrPort

	authConn, secureConn *prudp.Conn
	cancel               context.CancelFunc
	wg                   sync.WaitGroup
}

// ErrLoginRefused wraps the error result of a refused login.
var ErrLoginRefused = errors.New("proxy: login refused")

// Login connects to the authentication server, logs in with Login
// (ValidateAndRequestTicket on NEX 4), opens the secure connection the
// returned station names and returns the ready client.
func Login(ctx context.Context, cfg ClientConfig) (*Client, error) {
	c := &Client{}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	c.cancel = cancel
	ac, _, err := dialClient(ctx, cfg, cfg.Addr, prudp.VPort{Type: prudp.StreamRVSecure, Port: 1}, nil, nil, nil)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("proxy: client: authentication server: %w", err)
	}
	c.authConn = ac
	c.Auth = peer.New(peer.PRUDPWire(ac), cfg.Logger, nil)
	c.start(runCtx, ac, c.Auth)
	if err := c.login(ctx, cfg); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// start has conn hand p its messages on conn's read goroutine (push
// mode): an answer reaches the waiting Call with one goroutine hand-off,
// not two. Close waits for what p still runs once conn has ended.
func (c *Client) start(ctx context.Context, conn *prudp.Conn, p *peer.Peer) {
	c.wg.Add(1)
	p.StartPush(ctx, conn, func(p *peer.Peer) {
		p.Wait()
		c.wg.Done()
	})
}

func (c *Client) login(ctx context.Context, cfg ClientConfig) error {
	w := rmc.NewWriter(cfg.RMC)
	w.String(cfg.Username)
	m, err := c.Auth.Call(ctx, protoAuth, authLogin, w.Bytes())
	if err != nil {
		return fmt.Errorf("proxy: client: login: %w", err)
	}
	if !m.Success {
		return fmt.Errorf("%w: %s", ErrLoginRefused, m.Error)
	}
	if c.PID, c.Ticket, c.Station, err = parseLoginResponse(m.Body, cfg.RMC); err != nil {
		return err
	}
	key, err := cfg.Keys.Key(cfg.Kerberos.Derivation, c.PID, cfg.Password)
	if err != nil {
		return err
	}
	t, err := kerberos.DecryptClientTicket(key, c.Ticket, cfg.Kerberos)
	if err != nil {
		return fmt.Errorf("proxy: client: %w", err)
	}
	c.SessionKey = t.SessionKey
	addr, vp, cid, err := secureTarget(c.Station, cfg.Addr)
	if err != nil {
		return err
	}
	check := rand.Uint32()
	payload, err := kerberos.BuildConnectPayload(t.InternalTicket, t.SessionKey, kerberos.ConnectRequest{PID: c.PID, CID: cid, Check: check}, cfg.Kerberos)
	if err != nil {
		return err
	}
	sc, local, err := dialClient(ctx, cfg, addr, vp, payload, t.SessionKey, func(b []byte) error { return kerberos.ParseConnectReply(b, check) })
	if err != nil {
		return fmt.Errorf("proxy: client: secure server %s: %w", addr, err)
	}
	c.secureConn, c.SecureLocal = sc, local
	var serve func(context.Context, *rmc.Message)
	if cfg.OnRequest != nil {
		serve = func(ctx context.Context, m *rmc.Message) { cfg.OnRequest(ctx, c.Secure, m) }
	}
	c.Secure = peer.New(peer.PRUDPWire(sc), cfg.Logger, serve)
	c.start(context.WithoutCancel(ctx), sc, c.Secure)
	return nil
}

// parseLoginResponse reads the Login response: the result, the PID, the
// ticket and the secure station of the connection data. The special
// protocols' station may be empty (Pretendo's servers send "").
func parseLoginResponse(body []byte, s rmc.Settings) (pid uint64, ticket []byte, station rmc.StationURL, err error) {
	r := rmc.NewReader(body, s)
	res := r.Result()
	pid = r.PID()
	ticket = r.Buffer()
	r.StructBegin()
	station = r.StationURL()
	r.ListLen()
	r.StationURL()
	r.StructEnd()
	if r.Err() != nil {
		return 0, nil, station, fmt.Errorf("proxy: client: login response: %w", r.Err())
	}
	if res.IsError() {
		return 0, nil, station, fmt.Errorf("%w: %s", ErrLoginRefused, res)
	}
	return pid, ticket, station, nil
}

// dialClient dials over a carrier of its own so that the client knows its
// local address (the public station it should be told about).
func dialClient(ctx context.Context, cfg ClientConfig, addr string, vp prudp.VPort, payload, key []byte, check func([]byte) error) (*prudp.Conn, netip.AddrPort, error) {
	dc := prudp.DialConfig{Settings: cfg.PRUDP, Remote: vp, ConnectPayload: payload, SessionKey: key, CheckConnectReply: check, TLSConfig: cfg.TLSConfig, Logger: cfg.Logger}
	switch cfg.Network {
	case "ws", "wss":
		var tc *tls.Config
		if cfg.Network == "wss" {
			tc = cfg.TLSConfig
			if tc == nil {
				tc = &tls.Config{}
			}
		}
		car, remote, err := prudp.DialWebSocketCarrier(ctx, addr, tc)
		if err != nil {
			return nil, netip.AddrPort{}, err
		}
		local, _ := netip.ParseAddrPort(car.LocalAddr().String())
		conn, err := prudp.DialCarrier(ctx, car, net.UDPAddrFromAddrPort(remote), dc)
		return conn, local, err
	}
	ra, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, netip.AddrPort{}, err
	}
	bind := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}
	if !ra.IP.IsLoopback() {
		bind = nil
	}
	uc, err := net.ListenUDP("udp", bind)
	if err != nil {
		return nil, netip.AddrPort{}, err
	}
	local := uc.LocalAddr().(*net.UDPAddr).AddrPort()
	conn, err := prudp.DialCarrier(ctx, prudp.NewUDPCarrier(uc), ra, dc)
	return conn, netip.AddrPortFrom(local.Addr().Unmap(), local.Port()), err
}

// Call makes a call on the secure connection.
func (c *Client) Call(ctx context.Context, protocol uint16, method uint32, body []byte) (*rmc.Message, error) {
	return c.Secure.Call(ctx, protocol, method, body)
}

// CloseAuth disconnects the authentication connection, as a console does
// once it holds its ticket; the secure connection stays up.
func (c *Client) CloseAuth() error {
	if c.authConn == nil {
		return nil
	}
	return c.authConn.Close()
}

// Close disconnects both connections and waits for the client's
// goroutines.
func (c *Client) Close() error {
	var wg sync.WaitGroup
	for _, conn := range []*prudp.Conn{c.secureConn, c.authConn} {
		if conn == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = conn.Close()
		}()
	}
	wg.Wait()
	if c.cancel != nil {
		c.cancel()
	}
	c.wg.Wait()
	return nil
}
