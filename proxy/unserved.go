package proxy

import (
	"net"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/internal/titles"
	"github.com/nexproxy/nexproxy/prudp"
)

// unservedWindow is how long one console's attempts at one unserved title
// stay one log line: a console retransmits its SYN for several seconds,
// and retries the whole login soon after.
const unservedWindow = time.Minute

// unservedMax bounds the remembered (title, address) pairs; a flood of
// spoofed addresses can only make lines repeat, never grow the table.
const unservedMax = 1024

// unservedLog logs consoles of known titles that no game on the listener
// they reached serves, once per title and console address per window.
type unservedLog struct {
	log *zap.Logger

	mu   sync.Mutex
	seen map[string]time.Time // "short|ip" → when it was logged
}

func newUnservedLog(log *zap.Logger) *unservedLog {
	return &unservedLog{log: log, seen: map[string]time.Time{}}
}

// knownProfiles are the PRUDP profiles of the known titles a listener
// does not serve, of the wire formats its carrier takes (UDP: v0 and v1;
// WebSocket: Lite).
func knownProfiles(l *listener) []prudp.Settings {
	var out []prudp.Settings
	for _, t := range titles.All() {
		if l.auth[t.AccessKey] != nil || l.secure[t.AccessKey] != nil {
			continue
		}
		s, ok := t.PRUDPSettings()
		if !ok || (s.Variant == prudp.Lite) != l.ws {
			continue
		}
		out = append(out, s)
	}
	return out
}

// report runs on a listener's read loop for an opening packet that
// matched known titles but no game of listener addr.
func (u *unservedLog) report(addr string, m prudp.KnownMatch) {
	var matched []titles.Title
	for _, s := range m.Settings {
		matched = append(matched, titles.ByAccessKey(s.AccessKey)...)
	}
	if len(matched) == 0 {
		return
	}
	names := make([]string, len(matched))
	shorts := make([]string, len(matched))
	ids := make([]string, len(matched))
	keys := make([]string, len(matched))
	for i, t := range matched {
		names[i], shorts[i], ids[i], keys[i] = t.Name, t.Short, "0x"+t.ID(), t.AccessKey
	}
	if !u.first(strings.Join(shorts, ",")+"|"+hostOf(m.From), time.Now()) {
		return
	}
	by := "signature"
	if !m.BySignature {
		by = "checksum" // a v0 SYN proves a few bits of the key only
	}
	u.log.Info("console of a known title that no game on this listener serves",
		zap.String("title", strings.Join(names, " or ")),
		zap.Strings("short", shorts),
		zap.Strings("game_server_id", ids),
		zap.Strings("access_key", keys),
		zap.Stringer("remote", m.From),
		zap.String("listen", addr),
		zap.Stringer("packet", m.Type),
		zap.String("matched_by", by),
		zap.String("hint", `serve it with a [[games]] entry that has title = "`+shorts[0]+`"`))
}

// first reports whether key was not logged within the window, and
// remembers it.
func (u *unservedLog) first(key string, now time.Time) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	if t, ok := u.seen[key]; ok && now.Sub(t) < unservedWindow {
		return false
	}
	if len(u.seen) >= unservedMax {
		for k, t := range u.seen {
			if now.Sub(t) >= unservedWindow {
				delete(u.seen, k)
			}
		}
		if len(u.seen) >= unservedMax {
			clear(u.seen)
		}
	}
	u.seen[key] = now
	return true
}

func hostOf(a net.Addr) string {
	if a == nil {
		return ""
	}
	if host, _, err := net.SplitHostPort(a.String()); err == nil {
		return host
	}
	return a.String()
}
