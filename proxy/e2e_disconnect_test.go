package proxy_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/nexproxy/nexproxy/kerberos"
	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/proxy/config"
	"github.com/nexproxy/nexproxy/proxy/record"
	"github.com/nexproxy/nexproxy/prudp"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// shortPRUDP makes a silent peer detectable within about two seconds
// (three ping timeouts) so that the vanishing console's test stays short.
const shortPRUDP = `[games.prudp]
ping_timeout = "500ms"
resend_timeout = "250ms"
resend_floor = "100ms"
resend_limit = 3
`

// settleLimit bounds every wait for a connection to end. It is far above
// what the short PRUDP settings need; a wait that reaches it is a failure,
// not a slow run.
const settleLimit = 15 * time.Second

// legRecorder follows which connections of a server are open and how each
// one ended, per leg.
type legRecorder struct {
	mu      sync.Mutex
	open    map[*rpc.Session]bool
	ended   map[rpc.Leg][]error
	changed chan struct{} // signalled on every connect and disconnect
}

func newLegRecorder() *legRecorder {
	return &legRecorder{open: map[*rpc.Session]bool{}, ended: map[rpc.Leg][]error{}, changed: make(chan struct{}, 1)}
}

func (r *legRecorder) Connect(s *rpc.Session, _ string) {
	r.mu.Lock()
	r.open[s] = true
	r.mu.Unlock()
	r.signal()
}

func (r *legRecorder) Disconnect(s *rpc.Session, err error) {
	r.mu.Lock()
	delete(r.open, s)
	r.ended[s.Leg] = append(r.ended[s.Leg], err)
	r.mu.Unlock()
	r.signal()
}

func (r *legRecorder) Login(*rpc.Session, uint64, string)   {}
func (r *legRecorder) Call(*rpc.Session, *record.CallEvent) {}

// WantsValues is false: only connections matter here.
func (r *legRecorder) WantsValues() bool { return false }

func (r *legRecorder) signal() {
	select {
	case r.changed <- struct{}{}:
	default:
	}
}

// openOn returns the open connections of leg.
func (r *legRecorder) openOn(leg rpc.Leg) []*rpc.Session {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*rpc.Session
	for s := range r.open {
		if s.Leg == leg {
			out = append(out, s)
		}
	}
	return out
}

// endedOn returns why each ended connection of leg ended, in order.
// forget clears the ended connections seen so far.
func (r *legRecorder) forget() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ended = map[rpc.Leg][]error{}
}

func (r *legRecorder) endedOn(leg rpc.Leg) []error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]error(nil), r.ended[leg]...)
}

// waitFor waits until cond holds, checking it after every connect and
// disconnect, and reports whether it did within settleLimit.
func (r *legRecorder) waitFor(cond func() bool) bool {
	limit := time.NewTimer(settleLimit)
	defer limit.Stop()
	for !cond() {
		select {
		case <-r.changed:
		case <-limit.C:
			return cond()
		}
	}
	return true
}

// startShortPing starts a server like startServer whose game uses
// shortPRUDP, with rec as its recorder.
func startShortPing(t *testing.T, g testGame, rec record.Recorder) (*proxy.Server, *config.Config) {
	t.Helper()
	text := gameTOML(t, g)
	if strings.Contains(text, "\n[[accounts]]") {
		text = strings.Replace(text, "\n[[accounts]]", "\n"+shortPRUDP+"\n[[accounts]]", 1)
	} else {
		text += "\n" + shortPRUDP
	}
	return startServerTOML(t, text, rec)
}

// disconnectRig is a console-facing nexproxy (front) in front of a second
// nexproxy serving the game locally (up), both on Wii U over loopback UDP
// with short ping timeouts, each with a legRecorder.
type disconnectRig struct {
	up, front       *proxy.Server
	upRec, frontRec *legRecorder
	cc              proxy.ClientConfig
}

func newDisconnectRig(t *testing.T) *disconnectRig {
	t.Helper()
	r := &disconnectRig{upRec: newLegRecorder(), frontRec: newLegRecorder()}
	r.up, _ = startShortPing(t, testGame{platform: "wiiu", upstream: "local", accounts: true, moreUsers: 1}, r.upRec)
	var cfg *config.Config
	r.front, cfg = startShortPing(t, testGame{platform: "wiiu", upstream: upstreamAddr(r.up), accounts: true, moreUsers: 1}, r.frontRec)
	r.cc = clientConfig(cfg, r.front)
	return r
}

// close stops the front first, then the upstream.
func (r *disconnectRig) close() {
	r.front.Close()
	r.up.Close()
}

// login logs a console in through the front and returns once a call
// crossed the secure leg and the upstream holds wantSecure secure
// connections (its authentication connection stays open).
func (r *disconnectRig) login(t *testing.T, ctx context.Context, wantSecure int) *proxy.Client {
	t.Helper()
	c, err := proxy.Login(ctx, r.cc)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	if m, err := c.Call(ctx, 11, 5, nil); err != nil || !m.Success {
		c.Close()
		t.Fatalf("TestConnectivity through the proxy: %v %v", err, m)
	}
	r.waitUpstream(t, c, wantSecure)
	return c
}

// waitUpstream waits until the upstream holds wantSecure secure
// connections; c is closed on failure.
func (r *disconnectRig) waitUpstream(t *testing.T, c *proxy.Client, wantSecure int) {
	t.Helper()
	if !r.upRec.waitFor(func() bool { return len(r.upRec.openOn(rpc.LegSecure)) == wantSecure }) {
		if c != nil {
			c.Close()
		}
		t.Fatalf("upstream holds %d secure connections, want %d", len(r.upRec.openOn(rpc.LegSecure)), wantSecure)
	}
}

// ownedSecure is a second secure connection of a logged-in console, made
// with its ticket over a UDP socket the test holds, so that the test can
// close the socket and the console vanishes without a DISCONNECT.
type ownedSecure struct {
	socket *net.UDPConn
	conn   *prudp.Conn
}

func dialOwnedSecure(t *testing.T, ctx context.Context, cc proxy.ClientConfig, c *proxy.Client, addr net.Addr) *ownedSecure {
	t.Helper()
	key, err := cc.Keys.Key(cc.Kerberos.Derivation, c.PID, cc.Password)
	if err != nil {
		t.Fatal(err)
	}
	ct, err := kerberos.DecryptClientTicket(key, c.Ticket, cc.Kerberos)
	if err != nil {
		t.Fatalf("client ticket: %v", err)
	}
	var cid uint32
	if v, ok := c.Station.Int(rmc.URLCID); ok && v >= 0 {
		cid = uint32(v)
	}
	check := rand.Uint32()
	payload, err := kerberos.BuildConnectPayload(ct.InternalTicket, ct.SessionKey, kerberos.ConnectRequest{PID: c.PID, CID: cid, Check: check}, cc.Kerberos)
	if err != nil {
		t.Fatal(err)
	}
	socket, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := prudp.DialCarrier(ctx, prudp.NewUDPCarrier(socket), addr, prudp.DialConfig{
		Settings:          cc.PRUDP,
		Remote:            prudp.VPort{Type: prudp.StreamRVSecure, Port: 1},
		ConnectPayload:    payload,
		SessionKey:        ct.SessionKey,
		CheckConnectReply: func(b []byte) error { return kerberos.ParseConnectReply(b, check) },
	})
	if err != nil {
		t.Fatalf("second secure connection: %v", err)
	}
	return &ownedSecure{socket: socket, conn: conn}
}

// call makes one call on the connection and returns the answer.
func (o *ownedSecure) call(ctx context.Context, protocol uint16, method, callID uint32) (*rmc.Message, error) {
	if err := o.conn.Send(ctx, 0, rmc.NewRequest(protocol, method, callID, nil).Encode()); err != nil {
		return nil, err
	}
	for {
		m, err := o.conn.Recv(ctx)
		if err != nil {
			return nil, err
		}
		if len(m.Data) == 0 {
			continue
		}
		ans, err := rmc.Parse(m.Data)
		if err != nil {
			return nil, err
		}
		if ans.Request || ans.CallID != callID {
			return nil, fmt.Errorf("unexpected message %+v", ans)
		}
		return ans, nil
	}
}

// endedByDisconnect reports whether a connection's error says it ended
// with a DISCONNECT: every end matches ErrClosed, a silent peer's also
// ErrTimeout, a forced one's ErrAborted and a lost socket's the carrier
// errors.
func endedByDisconnect(err error) bool {
	return errors.Is(err, prudp.ErrClosed) && !errors.Is(err, prudp.ErrTimeout) && !errors.Is(err, prudp.ErrAborted) &&
		!errors.Is(err, prudp.ErrCarrierClosed) && !errors.Is(err, prudp.ErrPeerClosed)
}

// checkEnded reports an error unless exactly one connection of leg ended,
// by a ping timeout when timeout is set and by a DISCONNECT otherwise.
func checkEnded(t *testing.T, side string, rec *legRecorder, leg rpc.Leg, timeout bool) {
	t.Helper()
	errs := rec.endedOn(leg)
	want, ok := "a DISCONNECT", len(errs) == 1 && endedByDisconnect(errs[0])
	if timeout {
		want, ok = "a ping timeout", len(errs) == 1 && errors.Is(errs[0], prudp.ErrTimeout)
	}
	if !ok {
		t.Errorf("%s: ended %s connections %v, want one ended by %s", side, leg, errs, want)
	}
}

// TestConsoleDisconnectClosesUpstream: a console that says DISCONNECT on
// its secure and authentication connections gets nexproxy's upstream
// connections closed with DISCONNECTs of their own (the upstream sees
// them end, not time out).
func TestConsoleDisconnectClosesUpstream(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, runs after every other cleanup
	r := newDisconnectRig(t)
	defer r.close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := r.login(t, ctx, 1)

	c.Close()
	if !r.upRec.waitFor(func() bool { return len(r.upRec.openOn(rpc.LegSecure)) == 0 }) {
		t.Fatal("the upstream's secure connection is still open after the console said DISCONNECT")
	}
	if !r.upRec.waitFor(func() bool { return len(r.upRec.openOn(rpc.LegAuth)) == 0 }) {
		t.Fatal("the upstream's authentication connection is still open after the console said DISCONNECT")
	}
	if !r.frontRec.waitFor(func() bool { return len(r.frontRec.endedOn(rpc.LegSecure)) == 1 }) {
		t.Fatal("nexproxy did not end the console's secure session")
	}
	checkEnded(t, "nexproxy", r.frontRec, rpc.LegSecure, false)
	checkEnded(t, "upstream", r.upRec, rpc.LegSecure, false)
}

// TestConsoleVanishClosesUpstream: a console that stops answering (its
// socket closed, no DISCONNECT) is dropped by nexproxy's ping timeout,
// and its upstream connection, only its, is then closed with a
// DISCONNECT; another console is untouched.
func TestConsoleVanishClosesUpstream(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, runs after every other cleanup
	r := newDisconnectRig(t)
	defer r.close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := r.login(t, ctx, 1)
	defer c.Close()

	// The vanishing console is another user's, on a secure connection the
	// test owns the socket of. It reconnects with its ticket, so the
	// upstream ends the session of its first login (a PID has one secure
	// session), and nexproxy that console's; then the count starts over.
	cc2 := r.cc
	cc2.Username, cc2.Password = otherUser(1)
	c2, err := proxy.Login(ctx, cc2)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	o := dialOwnedSecure(t, ctx, cc2, c2, r.front.SecureAddr("g"))
	defer o.conn.Close()
	if m, err := o.call(ctx, 11, 5, 1); err != nil || !m.Success {
		t.Fatalf("TestConnectivity on the second console's connection: %v %+v", err, m)
	}
	r.waitUpstream(t, nil, 2)
	if !r.frontRec.waitFor(func() bool { return len(r.frontRec.endedOn(rpc.LegSecure)) == 1 }) {
		t.Fatal("the second console's replaced session did not end")
	}
	r.upRec.forget()
	r.frontRec.forget()

	// Vanish: nothing, not even a DISCONNECT, can leave a closed socket.
	if err := o.socket.Close(); err != nil {
		t.Fatal(err)
	}
	if !r.upRec.waitFor(func() bool { return len(r.upRec.openOn(rpc.LegSecure)) == 1 }) {
		t.Fatal("the upstream's connection of the vanished console is still open")
	}
	checkEnded(t, "upstream", r.upRec, rpc.LegSecure, false)
	if !r.frontRec.waitFor(func() bool { return len(r.frontRec.endedOn(rpc.LegSecure)) == 1 }) {
		t.Fatal("nexproxy did not end the vanished console's session")
	}
	checkEnded(t, "nexproxy", r.frontRec, rpc.LegSecure, true)
	if m, err := c.Call(ctx, 11, 5, nil); err != nil || !m.Success {
		t.Errorf("the other console's session broke: %v %v", err, m)
	}
}

// TestUpstreamDisconnectClosesConsole: when the upstream server says
// DISCONNECT on nexproxy's secure connection (and only that one; the
// server stays up), nexproxy disconnects the console with a DISCONNECT.
func TestUpstreamDisconnectClosesConsole(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, runs after every other cleanup
	r := newDisconnectRig(t)
	defer r.close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := r.login(t, ctx, 1)
	defer c.Close()

	upSess := r.upRec.openOn(rpc.LegSecure)[0]
	peer := proxy.ConsolePeer(upSess)
	if peer == nil {
		t.Fatal("the upstream's session has no peer")
	}
	if err := peer.Close(); err != nil {
		t.Fatalf("upstream DISCONNECT: %v", err)
	}
	limit := time.NewTimer(settleLimit)
	defer limit.Stop()
	select {
	case <-c.Secure.Done():
	case <-limit.C:
		t.Fatal("the console is still connected after the upstream said DISCONNECT")
	}
	if err := c.Secure.Err(); !endedByDisconnect(err) {
		t.Errorf("the console's connection ended with %v, want a DISCONNECT", err)
	}
	if !r.frontRec.waitFor(func() bool { return len(r.frontRec.endedOn(rpc.LegSecure)) == 1 }) {
		t.Fatal("nexproxy did not end the session")
	}
	checkEnded(t, "nexproxy", r.frontRec, rpc.LegSecure, false)
}
