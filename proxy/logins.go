package proxy

import (
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
