package wireshark_test

import (
	"fmt"
	"math/rand"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nexproxy/nexproxy/proxy/record/pcapng"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/protocols/matchmakeextension"
	mm "github.com/nexproxy/nexproxy/rmc/protocols/matchmaking"
	"github.com/nexproxy/nexproxy/rmc/protocols/ranking"
	"github.com/nexproxy/nexproxy/rmc/schema"
	"github.com/nexproxy/nexproxy/rmc/typed"
)

// message is one RMC message to capture, with what the dissector should
// call it.
type message struct {
	bytes    []byte
	settings rmc.Settings
	variants []string
	name     string // "Protocol.Method call N request"
}

// titles are the settings the corpus is encoded with: NEX 2 (no
// structure headers), NEX 3.5 on Wii U and NEX 4 on Switch (u64 PIDs).
var titles = []rmc.Settings{
	{PIDSize: 4, StructHeader: false, NEXVersion: 20000},
	{PIDSize: 4, StructHeader: true, NEXVersion: 30504},
	{PIDSize: 8, StructHeader: true, NEXVersion: 40605},
}

// everyMethod encodes the request and response of every described method
// (each game variant's too) at its defaults, for each title.
func everyMethod(t testing.TB) []message {
	t.Helper()
	base := schema.Default()
	regs := map[string]*schema.Registry{"": base}
	for _, v := range base.Variants() {
		r, err := base.WithVariants(v)
		if err != nil {
			t.Fatal(err)
		}
		regs[v] = r
	}
	var out []message
	call := uint32(0)
	for _, variant := range append([]string{""}, base.Variants()...) {
		reg := regs[variant]
		var variants []string
		if variant != "" {
			variants = []string{variant}
		}
		for _, s := range titles {
			for _, p := range reg.Protocols() {
				for _, m := range p.Methods() {
					call++
					name := m.NameFor(s.NEXVersion)
					body, err := m.EncodeRequest(m.NewRequest(s), s)
					if err != nil {
						t.Fatalf("%s.%s request: %v", p.Name, name, err)
					}
					out = append(out, message{bytes: rmc.NewRequest(p.ID, m.ID, call, body).Encode(), settings: s, variants: variants,
						name: fmt.Sprintf("%s.%s call %d request", p.Name, name, call)})
					if p.NoResponse {
						continue
					}
					body, err = m.EncodeResponse(m.NewResponse(s), s)
					if err != nil {
						t.Fatalf("%s.%s response: %v", p.Name, name, err)
					}
					out = append(out, message{bytes: rmc.NewResponse(p.ID, m.ID, call, body).Encode(), settings: s, variants: variants,
						name: fmt.Sprintf("%s.%s call %d response", p.Name, name, call)})
				}
			}
		}
	}
	return out
}

// richMessages are calls with filled lists, structures and a held object.
func richMessages(t testing.TB) []message {
	t.Helper()
	var out []message
	for _, s := range titles[1:] {
		up := &ranking.UploadScoreRequest{ScoreData: ranking.RankingScoreData{Category: 7, Score: 4242, Groups: []uint8{1, 2}, Param: 99}, UniqueID: 5}
		b, err := up.Encode(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, message{bytes: rmc.NewRequest(ranking.ProtocolID, ranking.MethodUploadScore, 1, b).Encode(), settings: s,
			name: "Ranking.UploadScore call 1 request"})
		rr := &ranking.GetRankingResponse{}
		rr.SetDefaults()
		for i := range 3 {
			rr.Result.Data = append(rr.Result.Data, ranking.RankingRankData{PID: uint64(1001 + i), Rank: uint32(i + 1), Score: 100, Groups: []uint8{3}, CommonData: []byte("cd")})
		}
		b, err = rr.Encode(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, message{bytes: rmc.NewResponse(ranking.ProtocolID, ranking.MethodGetRanking, 2, b).Encode(), settings: s,
			name: "Ranking.GetRanking call 2 response"})
		ms := &mm.MatchmakeSession{}
		ms.SetDefaults()
		ms.Attribs = []uint32{7, 0, 3, 0, 0, 0}
		ms.ApplicationData = []byte("app")
		cr := &matchmakeextension.CreateMatchmakeSessionRequest{Gathering: typed.Hold(ms), Description: "d", NumParticipants: 1, HasNumParticipants: true}
		b, err = cr.Encode(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, message{bytes: rmc.NewRequest(matchmakeextension.ProtocolID, matchmakeextension.MethodCreateMatchmakeSession, 3, b).Encode(), settings: s,
			name: "MatchmakeExtension.CreateMatchmakeSession call 3 request"})
	}
	return out
}

// writeCapture writes msgs as nexproxy does, each with its comment, and
// returns the capture's path.
func writeCapture(t *testing.T, msgs []message) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "corpus.pcapng")
	w, err := pcapng.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	console := netip.MustParseAddrPort("192.168.1.20:52000")
	server := netip.MustParseAddrPort("192.168.1.2:60001")
	start := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	for i, m := range msgs {
		src, dst := console, server
		if strings.HasSuffix(m.name, " response") {
			src, dst = server, console
		}
		comment := m.name + pcapng.SettingsNote(m.settings.NEXVersion, m.settings.PIDSize, m.settings.StructHeader, m.variants)
		if err := w.WritePacket(pcapng.Packet{Time: start.Add(time.Duration(i) * time.Millisecond), Src: src, Dst: dst, Payload: m.bytes, Comment: comment}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestTsharkDecodesEveryMethod: the request and response of every
// described method, at three NEX versions and in every game variant,
// decode whole in the dissector, under the method name rmc/schema gives.
func TestTsharkDecodesEveryMethod(t *testing.T) {
	tshark(t)
	t.Parallel()
	msgs := append(everyMethod(t), richMessages(t)...)
	path := writeCapture(t, msgs)
	out := strings.TrimSpace(runTshark(t, path, "-T", "fields", "-E", "separator=|", "-e", "frame.comment",
		"-e", "nexproxy.protocol_name", "-e", "nexproxy.method_name", "-e", "nexproxy.call_id", "-e", "nexproxy.request"))
	lines := strings.Split(out, "\n")
	if len(lines) != len(msgs) {
		t.Fatalf("tshark printed %d packets, want %d", len(lines), len(msgs))
	}
	for i, line := range lines {
		cols := strings.Split(line, "|")
		name, _, _ := strings.Cut(cols[0], " [")
		kind := "request"
		if cols[4] != "1" {
			kind = "response"
		}
		if got := fmt.Sprintf("%s.%s call %s %s", cols[1], cols[2], cols[3], kind); got != name || name != msgs[i].name {
			t.Errorf("packet %d: dissector says %q, comment %q, want %q", i+1, got, name, msgs[i].name)
		}
	}
	bad := strings.TrimSpace(runTshark(t, path, "-Y",
		"nexproxy.internal || nexproxy.malformed || nexproxy.truncated || nexproxy.trailing.expert || nexproxy.undescribed || nexproxy.anydata.mismatch || !nexproxy",
		"-T", "fields", "-e", "frame.number", "-e", "frame.comment", "-e", "_ws.expert.message"))
	if bad != "" {
		t.Errorf("packets the dissector could not decode whole:\n%.6000s", bad)
	}
}

// TestTsharkSurvivesMalformed feeds the dissector truncated, corrupted and
// random messages: tshark completes, no Lua error escapes, every packet is
// still shown as NEX with the damage reported as expert information.
func TestTsharkSurvivesMalformed(t *testing.T) {
	tshark(t)
	t.Parallel()
	seeds := richMessages(t)
	rng := rand.New(rand.NewSource(15))
	var msgs []message
	add := func(m message, b []byte, what string) {
		m.bytes = b
		m.name = m.name + " " + what
		msgs = append(msgs, m)
	}
	for _, m := range seeds {
		n := len(m.bytes)
		for cut := 0; cut < n; cut++ {
			// Cut short as a capture truncates: the size field says more.
			add(m, m.bytes[:cut], "cut"+strconv.Itoa(cut))
			// Cut short with the size field fixed: values run past the end.
			if cut >= 4 {
				b := append([]byte(nil), m.bytes[:cut]...)
				b[0], b[1], b[2], b[3] = byte(cut-4), byte((cut-4)>>8), 0, 0
				add(m, b, "short"+strconv.Itoa(cut))
			}
		}
		for i := range 100 {
			b := append([]byte(nil), m.bytes...)
			for range 1 + rng.Intn(4) {
				b[9+rng.Intn(n-9)] = byte(rng.Intn(256)) // past the header: lengths and counts
			}
			add(m, b, "flip"+strconv.Itoa(i))
		}
	}
	for i := range 100 {
		b := make([]byte, rng.Intn(80))
		rng.Read(b)
		if len(b) >= 4 && i%2 == 0 {
			b[0], b[1], b[2], b[3] = byte(len(b)-4), 0, 0, 0
		}
		add(message{settings: titles[i%3], name: "Ranking.UploadScore call 1 request"}, b, "random"+strconv.Itoa(i))
	}
	path := writeCapture(t, msgs)

	// -V builds every tree item; runTshark fails on any Lua error.
	runTshark(t, path, "-V")
	if bad := strings.TrimSpace(runTshark(t, path, "-Y", "nexproxy.internal || (!nexproxy && udp.length > 8)", "-T", "fields", "-e", "frame.number", "-e", "frame.comment")); bad != "" {
		t.Errorf("packets not dissected, or dissector errors:\n%.4000s", bad)
	}
	flagged := map[string]bool{}
	for _, line := range strings.Split(runTshark(t, path, "-Y", "nexproxy.malformed || nexproxy.truncated", "-T", "fields", "-e", "frame.comment"), "\n") {
		name, _, _ := strings.Cut(line, " [")
		flagged[name] = true
	}
	for _, name := range []string{"Ranking.UploadScore call 1 request cut20", "Ranking.UploadScore call 1 request short20", "Ranking.UploadScore call 1 request cut3"} {
		if !flagged[name] {
			t.Errorf("%q is not reported malformed or truncated", name)
		}
	}
}
