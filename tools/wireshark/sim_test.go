package wireshark_test

import (
	_ "embed"
	"fmt"
	"strings"
	"sync"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"github.com/nexproxy/nexproxy/proxy/record/pcapng"
	"github.com/nexproxy/nexproxy/tools/wireshark"
)

//go:embed testdata/shim.lua
var shimLua string

// sim runs the dissector under gopher-lua with testdata/shim.lua in place
// of Wireshark: no tshark needed, and fast enough to fuzz. One state
// serves a test binary; gopher-lua states are not goroutine-safe.
type sim struct {
	mu     sync.Mutex
	L      *lua.LState
	frames int
}

var (
	simOnce sync.Once
	theSim  *sim
	simErr  error
)

func getSim(tb testing.TB) *sim {
	tb.Helper()
	simOnce.Do(func() {
		L := lua.NewState()
		if err := L.DoString(shimLua); err != nil {
			simErr = fmt.Errorf("shim: %w", err)
			return
		}
		if err := L.DoString(string(wireshark.Dissector)); err != nil {
			simErr = fmt.Errorf("dissector: %w", err)
			return
		}
		theSim = &sim{L: L}
	})
	if simErr != nil {
		tb.Fatal(simErr)
	}
	return theSim
}

// udpFrame wraps payload in the Ethernet, IPv4 and UDP headers the
// postdissector looks for (only the fields it reads are set).
func udpFrame(payload []byte) []byte {
	f := make([]byte, 42, 42+len(payload))
	f[12], f[13] = 0x08, 0x00
	f[14] = 0x45
	f[23] = 17
	return append(f, payload...)
}

// dissect runs one message through the heuristic (or, when another
// protocol claims it, the postdissector) and returns the info column and
// expert notes. An error is a Lua error that escaped the dissector.
func (s *sim) dissect(payload []byte, comment string, heuristic bool) (info, experts string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.frames++
	L := s.L
	fn := L.GetField(L.GetGlobal("shim"), "dissect")
	err = L.CallByParam(lua.P{Fn: fn, NRet: 3, Protect: true},
		lua.LString(payload), lua.LString(udpFrame(payload)), lua.LString(comment), lua.LNumber(s.frames), lua.LBool(heuristic))
	if err != nil {
		return "", "", err
	}
	defer L.Pop(3)
	return L.Get(-3).String(), L.Get(-2).String(), nil
}

func comment(m message) string {
	return m.name + pcapng.SettingsNote(m.settings.NEXVersion, m.settings.PIDSize, m.settings.StructHeader, m.variants)
}

// TestSimDecodesEveryMethod is TestTsharkDecodesEveryMethod without
// tshark: every described method's request and response, at three NEX
// versions and in every variant, decodes whole under the right name, by
// the heuristic (and, for a sample, by the postdissector).
func TestSimDecodesEveryMethod(t *testing.T) {
	s := getSim(t)
	msgs := append(everyMethod(t), richMessages(t)...)
	for i, m := range msgs {
		paths := []bool{true}
		if i%5 == 0 {
			// The postdissector's path for a sample: it reads the same tables.
			paths = append(paths, false)
		}
		for _, heuristic := range paths {
			info, experts, err := s.dissect(m.bytes, comment(m), heuristic)
			if err != nil {
				t.Fatalf("%s: %v", m.name, err)
			}
			if info != m.name || experts != "" {
				t.Errorf("%s: info %q, experts %q", m.name, info, experts)
			}
		}
	}
}

// TestSimReportsMalformed: damaged messages are reported, never thrown.
func TestSimReportsMalformed(t *testing.T) {
	s := getSim(t)
	up := richMessages(t)[0]
	for _, c := range []struct {
		name   string
		bytes  []byte
		expert string
	}{
		{"empty", nil, "nexproxy.malformed: 0 bytes"},
		{"header only", up.bytes[:4], "nexproxy.malformed: 4 bytes"},
		{"cut", up.bytes[:30], "nexproxy.truncated"},
		{"size fixed", append([]byte{26, 0, 0, 0}, up.bytes[4:30]...), "nexproxy.malformed: structure RankingScoreData: content length 24 beyond the 12 bytes left"},
		{"trailing", append(append([]byte{byte(len(up.bytes) - 3), 0, 0, 0}, up.bytes[4:]...), 1), "nexproxy.trailing.expert"},
		{"bad flag", []byte{10, 0, 0, 0, 112, 7, 1, 0, 0, 0, 0, 0, 0, 0}, "nexproxy.malformed: success flag 7"},
	} {
		_, experts, err := s.dissect(c.bytes, comment(up), true)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !strings.Contains(experts, c.expert) || strings.Contains(experts, "nexproxy.internal") {
			t.Errorf("%s: experts %q, want %q", c.name, experts, c.expert)
		}
	}
}

// FuzzDissector: no input makes a Lua error escape the dissector or
// trips its own error handler (nexproxy.internal), at any of the three
// titles' settings, through either entry point.
func FuzzDissector(f *testing.F) {
	for _, m := range richMessages(f) {
		f.Add(m.bytes, uint8(0))
	}
	for i, m := range everyMethod(f) {
		if i%7 == 0 {
			f.Add(m.bytes, uint8(i))
		}
	}
	f.Fuzz(func(t *testing.T, payload []byte, how uint8) {
		st := titles[int(how)%len(titles)]
		c := "Ranking.UploadScore call 1 request" + pcapng.SettingsNote(st.NEXVersion, st.PIDSize, st.StructHeader, variantsOf(how))
		_, experts, err := getSim(t).dissect(payload, c, how&0x80 == 0)
		if err != nil {
			t.Fatalf("Lua error escaped: %v", err)
		}
		if strings.Contains(experts, "nexproxy.internal") {
			t.Fatalf("dissector error: %s", experts)
		}
	})
}

func variantsOf(how uint8) []string {
	if how&0x40 != 0 {
		return []string{"mk8"}
	}
	return nil
}
