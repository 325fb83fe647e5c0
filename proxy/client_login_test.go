package proxy

import (
	"errors"
	"testing"

	"github.com/nexproxy/nexproxy/rmc"
)

// loginBody writes a Login response whose connection data holds the
// given secure and special station URLs (as text: "" is the empty URL).
func loginBody(t testing.TB, s rmc.Settings, res rmc.Result, secure, special string) []byte {
	t.Helper()
	w := rmc.NewWriter(s)
	w.Result(res)
	w.PID(1234)
	w.Buffer([]byte{1, 2, 3})
	w.StructBegin(1)
	w.String(secure)
	w.ListLen(0)
	w.String(special)
	w.StructEnd(nil)
	w.String("branch:origin/project/wup-agmj build:3_8_15_2004_0")
	if err := w.Err(); err != nil {
		t.Fatal(err)
	}
	return w.Bytes()
}

// TestParseLoginResponseEmptySpecialStation: a Login response whose
// special protocols' station URL is empty, as Pretendo's servers send it,
// logs in; a refused login is reported as such.
func TestParseLoginResponseEmptySpecialStation(t *testing.T) {
	s := rmc.Settings{StructHeader: true, PIDSize: 4}
	const secure = "prudps:/address=127.0.0.1;port=60011;CID=1;PID=2;sid=1;stream=10;type=2"
	for _, special := range []string{"", "prudp:/"} {
		pid, ticket, st, err := parseLoginResponse(loginBody(t, s, rmc.ResultSuccess, secure, special), s)
		if err != nil {
			t.Fatalf("special %q: %v", special, err)
		}
		if pid != 1234 || len(ticket) != 3 || st.String() != secure {
			t.Errorf("special %q: pid %d, ticket %x, station %q", special, pid, ticket, st.String())
		}
		if addr, _, _, err := secureTarget(st, "127.0.0.1:60010"); err != nil || addr != "127.0.0.1:60011" {
			t.Errorf("secure target %q, %v", addr, err)
		}
	}
	_, _, _, err := parseLoginResponse(loginBody(t, s, rmc.Result(0x80030065), "", ""), s)
	if !errors.Is(err, ErrLoginRefused) {
		t.Errorf("refused login: %v", err)
	}
	if _, _, _, err := parseLoginResponse(loginBody(t, s, rmc.ResultSuccess, "prudp:/a", ""), s); err == nil {
		t.Error("malformed secure station accepted")
	}
}
