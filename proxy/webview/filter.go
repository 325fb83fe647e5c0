package webview

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/nexproxy/nexproxy/proxy/record/sessionlog"
)

// Filter selects the sessions and calls a page is sent. Every field is
// optional; an empty Filter passes everything.
type Filter struct {
	// Game is a game name (exact, ignoring case).
	Game string
	// PID is a principal id; 0 = any.
	PID uint64
	// Protocol and Method match a name (substring, ignoring case) or a
	// number (exact).
	Protocol string
	Method   string
	// Result is "ok" (answered with success), "error" (an error code, or
	// no answer), or a substring of the error's name, code or status.
	Result string
}

// ParseFilter reads a Filter from the query parameters game, pid,
// protocol, method and result.
func ParseFilter(q url.Values) (Filter, error) {
	f := Filter{
		Game:     strings.TrimSpace(q.Get("game")),
		Protocol: strings.TrimSpace(q.Get("protocol")),
		Method:   strings.TrimSpace(q.Get("method")),
		Result:   strings.TrimSpace(q.Get("result")),
	}
	if p := strings.TrimSpace(q.Get("pid")); p != "" {
		n, err := strconv.ParseUint(p, 0, 64)
		if err != nil {
			return Filter{}, fmt.Errorf("pid %q is not a number", p)
		}
		f.PID = n
	}
	return f, nil
}

// Session reports whether the filter passes the session.
func (f Filter) Session(s *Session) bool {
	if f.Game != "" && !strings.EqualFold(f.Game, s.Game) {
		return false
	}
	return f.PID == 0 || f.PID == s.PID
}

// callFilter reports whether the filter looks at calls at all: a session
// is then only shown with calls that pass.
func (f Filter) callFilter() bool { return f.Protocol != "" || f.Method != "" || f.Result != "" }

// Call reports whether the filter passes the call (its session is
// checked apart, with Session). A hook's log line passes only when no
// call criterion is set.
func (f Filter) Call(c *Call) bool {
	if c.Type != sessionlog.TypeCall {
		return !f.callFilter()
	}
	if !matchName(f.Protocol, c.Protocol, uint32(c.ProtocolID)) || !matchName(f.Method, c.Method, c.MethodID) {
		return false
	}
	return matchResult(f.Result, &c.Record)
}

func matchName(want, name string, id uint32) bool {
	if want == "" {
		return true
	}
	if n, err := strconv.ParseUint(want, 0, 32); err == nil {
		return uint32(n) == id
	}
	return strings.Contains(strings.ToLower(name), strings.ToLower(want))
}

func matchResult(want string, r *sessionlog.Record) bool {
	failed := r.Error != 0 || r.Status != ""
	switch w := strings.ToLower(want); w {
	case "":
		return true
	case "ok", "success":
		return !failed
	case "error", "failed":
		return failed
	default:
		if !failed {
			return false
		}
		return strings.Contains(strings.ToLower(r.ErrorName), w) || strings.Contains(r.Error.String(), w) ||
			strings.Contains(strings.ToLower(r.Status), w)
	}
}
