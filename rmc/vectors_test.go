package rmc

import (
	"regexp"
	"testing"

	"github.com/nexproxy/nexproxy/internal/vectors"
)

type vectorMessage = vectors.Message

// loadSessions returns every session vector by file name.
func loadSessions(tb testing.TB) map[string]*vectors.Session { return vectors.LoadSessions(tb) }

// connSettings maps the settings of a vector to ours for one connection.
func connSettings(s *vectors.Session, conn string) Settings {
	pid, header, nex := s.RMC(conn)
	return Settings{PIDSize: pid, StructHeader: header, NEXVersion: nex}
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
