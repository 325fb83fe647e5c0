package matchmaking

import (
	"crypto/subtle"

	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/rmc"
	mm "github.com/nexproxy/nexproxy/rmc/protocols/matchmaking"
	"github.com/nexproxy/nexproxy/rmc/typed"
)

// systemPasswordKey is where a session's system password is kept: a
// MatchmakeParam entry of the stored session (Extra), which fromStore
// removes before any console sees the session. The MatchmakeSession
// structure has only system_password_enabled, so the password needs a
// place of its own that leaves the store's schema unchanged.
const systemPasswordKey = "nexproxy:system_password"

// rawSession decodes g's stored session as it is, private entries
// included; false when Extra does not decode.
func rawSession(g *store.Gathering, set rmc.Settings) (*mm.MatchmakeSession, bool) {
	if len(g.Extra) == 0 || !isSession(g) {
		return nil, false
	}
	d := typed.NewDecoder(g.Extra, set)
	ms := &mm.MatchmakeSession{}
	ms.DecodeFrom(d)
	if d.Close("MatchmakeSession") != nil {
		return nil, false
	}
	return ms, true
}

// stripPrivate removes the server's own entries from a session's params.
func stripPrivate(ms *mm.MatchmakeSession) {
	if _, ok := ms.Param.Params.Get(systemPasswordKey); !ok {
		return
	}
	out := make(typed.Map[string, rmc.Variant], 0, len(ms.Param.Params))
	for _, p := range ms.Param.Params {
		if p.Key != systemPasswordKey {
			out = append(out, p)
		}
	}
	ms.Param.Params = out
}

// storedSystemPassword is g's system password ("" when none).
func storedSystemPassword(g *store.Gathering, set rmc.Settings) string {
	ms, ok := rawSession(g, set)
	if !ok {
		return ""
	}
	v, ok := ms.Param.Params.Get(systemPasswordKey)
	if !ok {
		return ""
	}
	s, _ := v.Value.(string)
	return s
}

// systemPasswordOK compares a presented system password in constant time;
// a session with no stored password accepts none.
func (s *server) systemPasswordOK(g *store.Gathering, presented string, set rmc.Settings) bool {
	want := storedSystemPassword(g, set)
	return want != "" && subtle.ConstantTimeCompare([]byte(want), []byte(presented)) == 1
}
