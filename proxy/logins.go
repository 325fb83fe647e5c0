package proxy

import (
	"net/netip"
	"sync"
	"time"

	"github.com/nexproxy/nexproxy/rmc"
)

// upstreamLogin is what nexproxy learned from an upstream login response
// that it re-issued: everything its own secure leg needs.
type upstreamLogin struct {
	game       *game
	pid        uint64
	sessionKey []byte         // upstream session key
	internal   []byte         // upstream internal ticket, forwarded as is
	station    rmc.StationURL // upstream secure station
	issued     time.Time
	// connectReply is the upstream's reply to a relayed CONNECT
	// (ModeRelayDecoded), passed to the console.
	connectReply []byte
}

// keylessTable holds the logins relayed decoded (record.ModeRelayDecoded)
// until their secure CONNECT: nexproxy cannot open the ticket, so the
// CONNECT is matched to its login by the game and the console's address,
// the most recent login of that address winning (consoles sharing an
// address through a NAT share the upstream station anyway; only the PID
// logged for the secure session may then be another's).
type keylessTable struct {
	mu sync.Mutex
	m  map[keylessKey]*upstreamLogin
}

type keylessKey struct {
	game *game
	addr netip.Addr
}

func newKeylessTable() *keylessTable { return &keylessTable{m: map[keylessKey]*upstreamLogin{}} }

func (t *keylessTable) put(g *game, addr netip.Addr, l *upstreamLogin) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.m) >= maxLogins/2 {
		now := time.Now()
		for k, l := range t.m {
			if now.Sub(l.issued) > loginWindow {
				delete(t.m, k)
			}
		}
	}
	if len(t.m) >= maxLogins {
		for k := range t.m {
			delete(t.m, k)
			break
		}
	}
	t.m[keylessKey{g, addr.Unmap()}] = l
}

// get returns the login of the game from addr still within its window.
// It stays: a console may connect again with the same ticket.
func (t *keylessTable) get(g *game, addr netip.Addr) (*upstreamLogin, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	l, ok := t.m[keylessKey{g, addr.Unmap()}]
	if !ok || time.Since(l.issued) > loginWindow {
		return nil, false
	}
	return l, true
}

// loginWindow is how long a re-issued ticket can be used: the secure
// servers' 120 s ticket validity.
const loginWindow = 120 * time.Second

// maxLogins bounds the table against a flood of logins.
const maxLogins = 1 << 16

// loginTable maps the session key of a ticket nexproxy issued to the
// upstream login behind it. Keyed by session key, not PID: many consoles
// share the guest PID.
type loginTable struct {
	mu sync.Mutex
	m  map[string]*upstreamLogin
}

func newLoginTable() *loginTable { return &loginTable{m: make(map[string]*upstreamLogin)} }

func (t *loginTable) put(ourKey []byte, l *upstreamLogin) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.m) >= maxLogins/2 {
		t.sweepLocked(time.Now())
	}
	if len(t.m) >= maxLogins {
		// Still full of fresh logins: drop an arbitrary one rather than grow.
		for k := range t.m {
			delete(t.m, k)
			break
		}
	}
	t.m[string(ourKey)] = l
}

// get returns the login of a ticket that is still within its window.
func (t *loginTable) get(ourKey []byte) (*upstreamLogin, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	l, ok := t.m[string(ourKey)]
	if !ok || time.Since(l.issued) > loginWindow {
		return nil, false
	}
	return l, true
}

func (t *loginTable) sweepLocked(now time.Time) {
	for k, l := range t.m {
		if now.Sub(l.issued) > loginWindow {
			delete(t.m, k)
		}
	}
}
