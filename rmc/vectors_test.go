package rmc

import (
	"regexp"
	"testing"

	"github.com/nexproxy/nexproxy/internal/vectors"
)

// vectorMessage is one entry of a session vector's "messages" array.
type vectorMessage struct {
	Dir        string  `json:"dir"`
	Conn       string  `json:"conn"`
	Kind       string  `json:"kind"`
	ProtocolID uint16  `json:"protocol_id"`
	MethodID   *uint32 `json:"method_id"`
	CallID     uint32  `json:"call_id"`
	Success    *bool   `json:"success"`
	ErrorCode  *uint32 `json:"error_code"`
	ErrorName  *string `json:"error_name"`
	Size       int     `json:"size"`
	Raw        string  `json:"raw"`
	Body       string  `json:"body"`
}

type vectorSession struct {
	Settings    map[string]any `json:"settings"`
	Connections map[string]struct {
		StructHeader int `json:"rmc_struct_header"`
	} `json:"connections"`
	Messages []vectorMessage `json:"messages"`
}

var sessionFiles = []string{"wiiu-session.json", "3ds-session.json", "switch-session.json", "friends-session.json"}

// loadSessions returns every session vector by file name.
func loadSessions(tb testing.TB) map[string]vectorSession {
	tb.Helper()
	out := make(map[string]vectorSession)
	for _, f := range sessionFiles {
		var s vectorSession
		vectors.Load(tb, f, &s)
		if len(s.Messages) == 0 {
			tb.Fatalf("%s: no messages", f)
		}
		out[f] = s
	}
	return out
}

// connSettings maps the settings of a vector to ours for one connection;
// structure headers are the connection's effective value (NintendoClients
// turns them on when the negotiated PRUDP minor version is >= 3).
func connSettings(s vectorSession, conn string) Settings {
	pid, _ := s.Settings["nex.pid_size"].(float64)
	ver, _ := s.Settings["nex.version"].(float64)
	return Settings{PIDSize: int(pid), StructHeader: s.Connections[conn].StructHeader != 0, NEXVersion: int(ver)}
}

var stationURLPattern = regexp.MustCompile(`(prudps?|udp):/[^\x00]*`)

// vectorStationURLs extracts every String-encoded station URL from the
// message bodies of the vectors: text matching the URL pattern whose u16
// length prefix and NUL terminator confirm it is a whole String.
func vectorStationURLs(tb testing.TB) []string {
	tb.Helper()
	seen := map[string]bool{}
	var out []string
	for _, s := range loadSessions(tb) {
		for _, m := range s.Messages {
			body := vectors.Hex(tb, m.Body)
			for _, loc := range stationURLPattern.FindAllIndex(body, -1) {
				start, end := loc[0], loc[1]
				if start < 2 || end >= len(body) || body[end] != 0 {
					continue
				}
				if n := int(body[start-2]) | int(body[start-1])<<8; n != end-start+1 {
					continue
				}
				u := string(body[start:end])
				if !seen[u] {
					seen[u] = true
					out = append(out, u)
				}
			}
		}
	}
	return out
}
