package prudp

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"

	"go.uber.org/zap"
)

// DialConfig configures the client side of a connection.
type DialConfig struct {
	// Settings is the profile (validated).
	Settings Settings
	// Remote is the server's virtual port (default {10, 1}).
	Remote VPort
	// ConnectPayload goes in the CONNECT (secure: ticket and request).
	ConnectPayload []byte
	// SessionKey is installed once the CONNECT is answered (secure).
	SessionKey []byte
	// CheckConnectReply verifies the CONNECT reply's payload (secure: the
	// check value + 1); nil accepts any payload.
	CheckConnectReply func(payload []byte) error
	// TLSConfig is used by "wss" (nil: system roots, server name from addr).
	TLSConfig *tls.Config
	// Logger receives debug logs; nil logs nothing.
	Logger *zap.Logger
	// Resolver looks up a host name in the address; nil = the system's
	// (net.DefaultResolver).
	Resolver *net.Resolver
}

// dialOwner is the carrier and read goroutine a dialled connection owns.
type dialOwner struct {
	carrier  Carrier
	once     sync.Once
	readDone chan struct{}
}

// shutdown closes the carrier and waits for the read goroutine.
func (o *dialOwner) shutdown() {
	o.once.Do(func() { _ = o.carrier.Close() })
	<-o.readDone
}

// Dial connects to a PRUDP server: network "udp" (also "udp4", "udp6"),
// "ws" or "wss" (PRUDPLite over WebSocket, path "/", subprotocol NEX).
// It returns once the handshake completed, or fails with ctx.
func Dial(ctx context.Context, network, addr string, cfg DialConfig) (*Conn, error) {
	switch network {
	case "udp", "udp4", "udp6":
		ra, err := ResolveUDP(ctx, cfg.Resolver, network, addr)
		if err != nil {
			return nil, fmt.Errorf("prudp: dial %s: %w", addr, err)
		}
		uc, remote, err := dialUDPCarrier(network, ra)
		if err != nil {
			return nil, fmt.Errorf("prudp: dial %s: %w", addr, err)
		}
		return dialOn(ctx, uc, remote, cfg)
	case "ws", "wss":
		var tc *tls.Config
		if network == "wss" {
			tc = cfg.TLSConfig
			if tc == nil {
				tc = &tls.Config{}
			}
			if tc.ServerName == "" {
				if host, _, err := net.SplitHostPort(addr); err == nil {
					tc = tc.Clone()
					tc.ServerName = host
				}
			}
		}
		c, remote, err := dialWebSocketCarrier(ctx, addr, tc, cfg.Resolver)
		if err != nil {
			return nil, err
		}
		return dialOn(ctx, c, remote, cfg)
	}
	return nil, fmt.Errorf("prudp: dial: unknown network %q (want udp, ws or wss)", network)
}

// ResolveUDP is net.ResolveUDPAddr through r (nil: the system's
// resolver), with ctx: the first IPv4 address for "udp" when there is
// one, as net.ResolveUDPAddr picks.
func ResolveUDP(ctx context.Context, r *net.Resolver, network, addr string) (*net.UDPAddr, error) {
	if r == nil {
		return net.ResolveUDPAddr(network, addr)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return net.ResolveUDPAddr(network, net.JoinHostPort(a.String(), port))
	}
	p, err := r.LookupPort(ctx, "udp", port)
	if err != nil {
		return nil, err
	}
	ipNet := map[string]string{"udp": "ip", "udp4": "ip4", "udp6": "ip6"}[network]
	ips, err := r.LookupNetIP(ctx, ipNet, host)
	if err != nil {
		return nil, err
	}
	pick := ips[0]
	if network == "udp" {
		for _, ip := range ips {
			if ip.Unmap().Is4() {
				pick = ip
				break
			}
		}
	}
	return net.UDPAddrFromAddrPort(netip.AddrPortFrom(pick.Unmap(), uint16(p))), nil
}

// DialCarrier connects over an existing carrier to the server at remote.
// The connection owns the carrier and closes it when it ends.
func DialCarrier(ctx context.Context, c Carrier, remote net.Addr, cfg DialConfig) (*Conn, error) {
	ap, err := addrPortOf(remote)
	if err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("prudp: dial: %w", err)
	}
	return dialOn(ctx, c, ap, cfg)
}

func dialOn(ctx context.Context, carrier Carrier, remote netip.AddrPort, cfg DialConfig) (*Conn, error) {
	s := cfg.Settings
	if err := s.Validate(); err != nil {
		_ = carrier.Close()
		return nil, fmt.Errorf("prudp: dial: %w", err)
	}
	codec, err := NewCodec(&s)
	if err != nil {
		_ = carrier.Close()
		return nil, err
	}
	key, err := NewConnSigKey()
	if err != nil {
		_ = carrier.Close()
		return nil, err
	}
	remoteVP := cfg.Remote
	if remoteVP == (VPort{}) {
		remoteVP = VPort{StreamRVSecure, 1}
	}
	// The highest port number, as NintendoClients picks; a dialled
	// connection owns its carrier, so nothing else competes for it.
	local := VPort{remoteVP.Type, 15}
	if s.Variant == Lite {
		local.Port = 31
	}
	c := newConn(roleClient, &s, codec, carrier, remote, local, remoteVP, cfg.Logger)
	c.owner = &dialOwner{carrier: carrier, readDone: make(chan struct{})}
	c.localSession = randomU8()
	c.sigSent = ownConnSignature(s.Variant, key, remote)
	c.unrelStart = 1
	if s.Variant == V1 {
		c.unrelStart = randomU16()
	}
	c.connectPayload = bytes.Clone(cfg.ConnectPayload)
	c.pendingKey = bytes.Clone(cfg.SessionKey)
	c.checkReply = cfg.CheckConnectReply
	go c.readLoop()
	c.mu.Lock()
	err = c.startHandshakeLocked()
	c.mu.Unlock()
	if err != nil {
		c.Abort()
		return nil, err
	}
	select {
	case <-c.established:
		return c, nil
	case <-c.done:
		err := c.Err()
		c.release()
		return nil, fmt.Errorf("prudp: dial %s: %w", remote, err)
	case <-ctx.Done():
		c.Abort()
		return nil, fmt.Errorf("prudp: dial %s: %w", remote, ctx.Err())
	}
}

// readBufferSize is the read buffer of a dialled connection. A UDP
// socket of its own only ever carries this connection, whose datagrams hold
// at most one fragment plus a few small packets (acknowledgements), so a
// buffer of a few KiB does instead of 64 KiB per upstream leg; a longer
// datagram is cut and then fails its checksum or signature, like any
// corrupt one. Other carriers hand over whole messages and get the maximum.
func readBufferSize(c Carrier, s *Settings) int {
	switch c.(type) {
	case *udpCarrier, *connectedUDP:
		return min(maxDatagram, s.FragmentSize+1024)
	}
	return maxDatagram
}

// readLoop feeds a dialled connection from its carrier.
func (c *Conn) readLoop() {
	defer close(c.owner.readDone)
	buf := make([]byte, readBufferSize(c.carrier, &c.settings))
	p := new(Packet) // reused: see Listener.readLoop
	for {
		n, from, err := c.carrier.ReadFrom(buf)
		if err != nil {
			if errors.Is(err, ErrPeerClosed) {
				// Checked first: its cause may be the peer socket's
				// net.ErrClosed, which is not the carrier's.
				if from != c.remote {
					continue
				}
				c.mu.Lock()
				c.closeLocked(err)
				c.mu.Unlock()
				return
			}
			if isCarrierClosed(err) {
				c.mu.Lock()
				c.closeLocked(fmt.Errorf("prudp: carrier: %w", err))
				c.mu.Unlock()
				return
			}
			c.debug("prudp: read", zap.Error(err))
			continue
		}
		if from != c.remote {
			c.stats.dropped.Add(1)
			continue
		}
		data := buf[:n]
		for len(data) > 0 {
			var k int
			*p, k, err = c.codec.Decode(data)
			if err != nil {
				c.stats.dropped.Add(1)
				c.debug("prudp: decode", zap.Error(err))
				break
			}
			raw := data[:k]
			data = data[k:]
			if p.Dest != c.local || p.Source != c.remoteVP {
				c.stats.dropped.Add(1)
				continue
			}
			c.input(p, raw)
		}
	}
}
