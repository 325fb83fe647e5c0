package prudp

import (
	"context"
	"crypto/sha1"
	"crypto/tls"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
)

// WebSocket carrier for PRUDPLite (prudp.md §4.4): binary messages on path
// "/" with subprotocol "NEX". A message may hold several Lite packets and a
// packet may span messages, so each WebSocket keeps a small stream buffer
// and the carrier hands out one whole Lite packet per ReadFrom.

const (
	wsSubprotocol = "NEX"
	// wsIdleTimeout closes a WebSocket that carries nothing for this long;
	// PRUDP pings every few seconds, so only dead peers hit it.
	wsIdleTimeout = 90 * time.Second
	// wsWriteTimeout bounds a write to a peer that stopped reading.
	wsWriteTimeout = 10 * time.Second
	// wsInbox is the number of packets queued between the per-WebSocket
	// readers and the single ReadFrom caller.
	wsInbox = 1024
	// liteHeader is the fixed Lite header size.
	liteHeader = 12
)

var errNotLite = errors.New("prudp: websocket: not a PRUDPLite packet")

// liteFramer splits a WebSocket byte stream into whole Lite packets.
type liteFramer struct {
	buf []byte
}

// feed appends msg and calls emit for every complete packet. A stream that
// does not start with the Lite magic is unrecoverable: the caller closes
// the WebSocket.
func (f *liteFramer) feed(msg []byte, emit func([]byte)) error {
	data := msg
	if len(f.buf) > 0 {
		f.buf = append(f.buf, msg...)
		data = f.buf
	}
	for len(data) > 0 {
		if data[0] != 0x80 {
			f.buf = nil
			return errNotLite
		}
		if len(data) < liteHeader {
			break
		}
		n := liteHeader + int(data[1]) + int(binary.LittleEndian.Uint16(data[2:4]))
		if len(data) < n {
			break
		}
		emit(data[:n])
		data = data[n:]
	}
	if len(data) == 0 {
		f.buf = f.buf[:0]
	} else if len(f.buf) == 0 || &data[0] != &f.buf[0] {
		f.buf = append(f.buf[:0], data...)
	}
	return nil
}

// wsPacket is one Lite packet from a peer, or (err set) the end of the
// peer's WebSocket.
type wsPacket struct {
	data []byte
	from netip.AddrPort
	err  error
}

// wsPeer is one WebSocket.
type wsPeer struct {
	ws    *websocket.Conn
	addr  netip.AddrPort
	local netip.AddrPort // the TCP connection's local address
	wmu   sync.Mutex
}

func (p *wsPeer) write(b []byte) error {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	_ = p.ws.SetWriteDeadline(time.Now().Add(wsWriteTimeout))
	err := p.ws.WriteMessage(websocket.BinaryMessage, b)
	if errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) {
		// The stream under the WebSocket is gone (closed here, or reset
		// by the peer): the same end as the reader's, whichever of the
		// two notices first.
		return fmt.Errorf("prudp: websocket %s: %w: %w", p.addr, ErrPeerClosed, err)
	}
	return err
}

// wsCarrier is the common half of the server and client WebSocket carriers:
// peers, the inbox and the reader goroutines.
type wsCarrier struct {
	local  net.Addr
	inbox  chan wsPacket
	done   chan struct{}
	once   sync.Once
	wg     sync.WaitGroup
	mu     sync.Mutex
	peers  map[netip.AddrPort]*wsPeer
	closed bool
}

func newWSCarrier(local net.Addr) *wsCarrier {
	return &wsCarrier{local: local, inbox: make(chan wsPacket, wsInbox), done: make(chan struct{}), peers: map[netip.AddrPort]*wsPeer{}}
}

// add registers ws and starts its reader; it reports false after Close.
func (c *wsCarrier) add(ws *websocket.Conn, addr netip.AddrPort) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	if old := c.peers[addr]; old != nil {
		_ = old.ws.Close()
	}
	p := &wsPeer{ws: ws, addr: addr}
	p.local, _ = addrPortOf(ws.LocalAddr())
	ws.SetCloseHandler(func(code int, _ string) error {
		select {
		case <-c.done:
			// The reply to our own close frame: the handshake is done.
		default:
			// The peer starts the handshake: reply, as RFC 6455 asks.
			_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, ""), time.Now().Add(wsCloseWait))
		}
		return nil
	})
	c.peers[addr] = p
	c.wg.Add(1)
	go c.read(p)
	return true
}

func (c *wsCarrier) read(p *wsPeer) {
	defer c.wg.Done()
	cause := c.readPeer(p)
	c.mu.Lock()
	// A peer replaced by a newer WebSocket from the same address, or
	// closed with the carrier, is nobody's news.
	current := c.peers[p.addr] == p && !c.closed
	if current {
		delete(c.peers, p.addr)
	}
	c.mu.Unlock()
	_ = p.ws.Close()
	if !current {
		return
	}
	err := fmt.Errorf("prudp: websocket %s: %w", p.addr, ErrPeerClosed)
	if cause != nil {
		err = fmt.Errorf("prudp: websocket %s: %w: %w", p.addr, ErrPeerClosed, cause)
	}
	// Queued behind the peer's last packets, so that those are processed
	// before its connections end.
	select {
	case c.inbox <- wsPacket{from: p.addr, err: err}:
	case <-c.done:
	}
}

// readPeer feeds the inbox from one WebSocket until it fails, returning
// why (nil when the carrier is closing).
func (c *wsCarrier) readPeer(p *wsPeer) error {
	p.ws.SetReadLimit(maxDatagram)
	var f liteFramer
	for {
		_ = p.ws.SetReadDeadline(time.Now().Add(wsIdleTimeout))
		typ, msg, err := p.ws.ReadMessage()
		if err != nil {
			return err
		}
		if typ != websocket.BinaryMessage {
			continue
		}
		stop := false
		err = f.feed(msg, func(pkt []byte) {
			if stop {
				return
			}
			select {
			case c.inbox <- wsPacket{data: append([]byte(nil), pkt...), from: p.addr}:
			case <-c.done:
				stop = true
			}
		})
		switch {
		case err != nil:
			return err
		case stop:
			return nil
		case len(f.buf) > maxDatagram:
			return errors.New("prudp: websocket: partial packet larger than a datagram")
		}
	}
}

func (c *wsCarrier) ReadFrom(b []byte) (int, netip.AddrPort, error) {
	select {
	case p := <-c.inbox:
		if p.err != nil {
			return 0, p.from, p.err
		}
		return copy(b, p.data), p.from, nil
	case <-c.done:
		return 0, netip.AddrPort{}, ErrCarrierClosed
	}
}

func (c *wsCarrier) WriteTo(b []byte, to netip.AddrPort) error {
	c.mu.Lock()
	p, closed := c.peers[to], c.closed
	c.mu.Unlock()
	switch {
	case closed:
		return fmt.Errorf("prudp: websocket write to %s: %w", to, net.ErrClosed)
	case p == nil:
		// The peer's reader has just dropped it and is about to report
		// its end: a write that gets here first ends the same way.
		return fmt.Errorf("prudp: websocket write to %s: %w", to, ErrPeerClosed)
	}
	return p.write(b)
}

func (c *wsCarrier) LocalAddr() net.Addr { return c.local }

// localAddrFor is the local address of the WebSocket to peer, while it is
// open.
func (c *wsCarrier) localAddrFor(peer netip.AddrPort) (netip.AddrPort, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p := c.peers[peer]; p != nil && p.local.IsValid() {
		return p.local, true
	}
	return netip.AddrPort{}, false
}

// wsCloseWait bounds how long closing waits for peers' close replies.
const wsCloseWait = time.Second

// closePeers ends every WebSocket with the closing handshake (RFC 6455
// §7.1.1): a close frame, then the peer's close frame in reply (its reader
// returns with it), and only then the TCP connection, so that peers do
// not write their reply into a closed socket. A peer that does not reply
// within wsCloseWait is cut off. It returns when every reader is gone.
func (c *wsCarrier) closePeers() {
	c.once.Do(func() { close(c.done) })
	c.mu.Lock()
	c.closed = true
	peers := make([]*wsPeer, 0, len(c.peers))
	for _, p := range c.peers {
		peers = append(peers, p)
	}
	c.mu.Unlock()
	deadline := time.Now().Add(wsCloseWait)
	for _, p := range peers {
		p.wmu.Lock()
		_ = p.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), deadline)
		p.wmu.Unlock()
	}
	readers := make(chan struct{})
	go func() { c.wg.Wait(); close(readers) }()
	t := time.NewTimer(time.Until(deadline))
	select {
	case <-readers:
	case <-t.C:
	}
	t.Stop()
	for _, p := range peers {
		_ = p.ws.Close()
	}
	<-readers
}

// wsServerCarrier accepts WebSockets on an HTTP(S) server.
type wsServerCarrier struct {
	*wsCarrier
	srv     *http.Server
	ln      net.Listener
	up      websocket.Upgrader
	srvDone chan struct{}
}

// ListenWebSocketCarrier opens a WebSocket server carrier on addr: ws://
// when tlsCfg is nil, wss:// otherwise (tlsCfg must hold a certificate).
func ListenWebSocketCarrier(addr string, tlsCfg *tls.Config) (Carrier, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("prudp: websocket listen: %w", err)
	}
	if tlsCfg != nil {
		ln = tls.NewListener(ln, tlsCfg)
	}
	s := &wsServerCarrier{wsCarrier: newWSCarrier(ln.Addr()), ln: ln, srvDone: make(chan struct{})}
	s.up = websocket.Upgrader{
		Subprotocols:    []string{wsSubprotocol},
		ReadBufferSize:  16 << 10,
		WriteBufferSize: 16 << 10,
		CheckOrigin:     func(*http.Request) bool { return true },
	}
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serveHTTP), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(s.srvDone)
		_ = s.srv.Serve(ln)
	}()
	return s, nil
}

func (s *wsServerCarrier) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	if !websocket.IsWebSocketUpgrade(r) {
		http.Error(w, "PRUDPLite WebSocket endpoint", http.StatusBadRequest)
		return
	}
	ws, err := s.up.Upgrade(w, r, lenientChallenge(r))
	if err != nil {
		return
	}
	addr, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil || !s.add(ws, netip.AddrPortFrom(addr.Addr().Unmap(), addr.Port())) {
		_ = ws.Close()
	}
}

// lenientChallenge accepts a Sec-WebSocket-Key that is not the base64 of
// 16 bytes, as anynet (NintendoClients' WebSocket client) sends: gorilla
// refuses such keys, so the request gets a conforming stand-in and the
// response carries the accept value computed from the client's own key
// after gorilla's (clients read the last one). Conforming clients are
// untouched.
func lenientChallenge(r *http.Request) http.Header {
	key := r.Header.Get("Sec-Websocket-Key")
	if key == "" {
		return nil
	}
	if b, err := base64.StdEncoding.DecodeString(key); err == nil && len(b) == 16 {
		return nil
	}
	r.Header.Set("Sec-Websocket-Key", "AAAAAAAAAAAAAAAAAAAAAA==")
	h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return http.Header{"Sec-Websocket-Accept": {base64.StdEncoding.EncodeToString(h[:])}}
}

func (s *wsServerCarrier) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	// Shutdown does not track hijacked connections; closePeers does.
	_ = s.srv.Shutdown(ctx)
	<-s.srvDone
	s.closePeers()
	return nil
}

// wsClientCarrier is one outgoing WebSocket.
type wsClientCarrier struct {
	*wsCarrier
	remote netip.AddrPort
}

// DialWebSocketCarrier connects to ws://addr/ (tlsCfg nil) or wss://addr/
// with subprotocol NEX. The returned carrier's peer address is the
// server's TCP address, which RemoteAddrPort reports.
func DialWebSocketCarrier(ctx context.Context, addr string, tlsCfg *tls.Config) (Carrier, netip.AddrPort, error) {
	return dialWebSocketCarrier(ctx, addr, tlsCfg, nil)
}

// dialWebSocketCarrier is DialWebSocketCarrier looking the host up
// through r (nil: the system's resolver).
func dialWebSocketCarrier(ctx context.Context, addr string, tlsCfg *tls.Config, r *net.Resolver) (Carrier, netip.AddrPort, error) {
	scheme := "ws"
	if tlsCfg != nil {
		scheme = "wss"
	}
	d := websocket.Dialer{
		Subprotocols:     []string{wsSubprotocol},
		TLSClientConfig:  tlsCfg,
		HandshakeTimeout: 15 * time.Second,
	}
	if r != nil {
		nd := &net.Dialer{Resolver: r}
		d.NetDialContext = nd.DialContext
	}
	ws, resp, err := d.DialContext(ctx, scheme+"://"+addr+"/", nil)
	if resp != nil && resp.Body != nil {
		_ = resp.Body.Close()
	}
	if err != nil {
		return nil, netip.AddrPort{}, fmt.Errorf("prudp: websocket dial %s: %w", addr, err)
	}
	if ws.Subprotocol() != wsSubprotocol {
		_ = ws.Close()
		return nil, netip.AddrPort{}, fmt.Errorf("prudp: websocket dial %s: server did not accept subprotocol %s", addr, wsSubprotocol)
	}
	remote, err := addrPortOf(ws.RemoteAddr())
	if err != nil {
		_ = ws.Close()
		return nil, netip.AddrPort{}, fmt.Errorf("prudp: websocket dial %s: %w", addr, err)
	}
	c := &wsClientCarrier{wsCarrier: newWSCarrier(ws.LocalAddr()), remote: remote}
	c.add(ws, remote)
	return c, remote, nil
}

func (c *wsClientCarrier) Close() error {
	c.closePeers()
	return nil
}
