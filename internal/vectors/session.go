package vectors

import "testing"

// SessionFiles names the recorded sessions, one per platform profile.
var SessionFiles = []string{"wiiu-session.json", "3ds-session.json", "switch-session.json", "friends-session.json"}

// Session is the part of a *-session.json file that the RMC-level tests
// read: the profile settings, the connections and the reassembled messages.
type Session struct {
	Profile     string                `json:"profile"`
	Settings    SessionSettings       `json:"settings"`
	Connections map[string]Connection `json:"connections"`
	Messages    []Message             `json:"messages"`
}

// SessionSettings holds the NintendoClients settings a session ran with.
type SessionSettings struct {
	NEXVersion   int    `json:"nex.version"`
	PIDSize      int    `json:"nex.pid_size"`
	StructHeader int    `json:"nex.struct_header"`
	AccessKey    string `json:"prudp.access_key"`
}

// Connection describes one PRUDP connection of a session.
type Connection struct {
	Kind string `json:"kind"`
	// StructHeader is the effective structure-header setting of the RMC
	// layer on this connection: NintendoClients turns headers on when the
	// negotiated PRUDP minor version is 3 or more.
	StructHeader int `json:"rmc_struct_header"`
}

// Message is one reassembled RMC message of a session.
type Message struct {
	Dir        string  `json:"dir"`
	Conn       string  `json:"conn"`
	Kind       string  `json:"kind"` // "request" or "response"
	ProtocolID uint16  `json:"protocol_id"`
	MethodID   *uint32 `json:"method_id"` // nil in error responses
	CallID     uint32  `json:"call_id"`
	Success    *bool   `json:"success"`
	ErrorCode  *uint32 `json:"error_code"`
	ErrorName  *string `json:"error_name"`
	Size       int     `json:"size"`
	Raw        string  `json:"raw"`
	Body       string  `json:"body"`
}

// RMC returns the RMC settings of one connection: PID size, whether
// structures carry headers, and the NEX version.
func (s *Session) RMC(conn string) (pidSize int, structHeader bool, nexVersion int) {
	structHeader = s.Settings.StructHeader != 0
	if c, ok := s.Connections[conn]; ok {
		structHeader = c.StructHeader != 0
	}
	return s.Settings.PIDSize, structHeader, s.Settings.NEXVersion
}

// LoadSession loads one session file, failing the test when it holds no
// messages.
func LoadSession(tb testing.TB, file string) *Session {
	tb.Helper()
	var s Session
	Load(tb, file, &s)
	if len(s.Messages) == 0 {
		tb.Fatalf("%s: no messages", file)
	}
	return &s
}

// LoadSessions loads every session file, by file name.
func LoadSessions(tb testing.TB) map[string]*Session {
	tb.Helper()
	out := make(map[string]*Session, len(SessionFiles))
	for _, f := range SessionFiles {
		out[f] = LoadSession(tb, f)
	}
	return out
}
