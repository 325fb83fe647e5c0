package protocols_test

import (
	"bytes"
	"testing"

	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/protocols/matchmaking"
	"github.com/nexproxy/nexproxy/rmc/schema"
)

// sessionURLMessage is one body of MatchMaking's LaunchSession (26),
// UpdateSessionURL (27) or GetSessionURL (28) carrying a URL.
type sessionURLMessage interface {
	Decode(body []byte, set rmc.Settings) error
	Encode(set rmc.Settings) ([]byte, error)
}

// TestSessionURLs: the URLs of LaunchSession, UpdateSessionURL and
// GetSessionURL are station URLs, which the proxy's rewriting visits
// (schema kind stationurl), and their bytes are those of the string the
// methods carried before, whatever the text: a URL, "prudp:/", the empty
// text, a text that is no URL (kept as it is), the null and the
// unterminated string forms.
func TestSessionURLs(t *testing.T) {
	s := rmc.Settings{PIDSize: 4, NEXVersion: 30504}
	const url = "prudp:/address=192.168.1.20;port=55123;sid=15;type=3;natm=1;natf=1;upnp=0;pmp=0;PID=1001;RVCID=7"
	texts := []func(w *rmc.Writer){
		func(w *rmc.Writer) { w.String(url) },
		func(w *rmc.Writer) { w.String("prudps:/PID=2;CID=1#x=1;") },
		func(w *rmc.Writer) { w.String("prudp:/") },
		func(w *rmc.Writer) { w.String("") },
		func(w *rmc.Writer) { w.String("go") },
		func(w *rmc.Writer) { w.StringNull() },
		func(w *rmc.Writer) { w.StringBytes([]byte("prudp:/port=1")) },
	}
	reg := schema.Default()
	for _, m := range []struct {
		method  uint32
		request bool
		head    func(w *rmc.Writer)
		msg     func() sessionURLMessage
	}{
		{matchmaking.MethodLaunchSession, true, func(w *rmc.Writer) { w.U32(7) }, func() sessionURLMessage { return new(matchmaking.LaunchSessionRequest) }},
		{matchmaking.MethodUpdateSessionURL, true, func(w *rmc.Writer) { w.U32(7) }, func() sessionURLMessage { return new(matchmaking.UpdateSessionURLRequest) }},
		{matchmaking.MethodGetSessionURL, false, func(w *rmc.Writer) { w.Bool(true) }, func() sessionURLMessage { return new(matchmaking.GetSessionURLResponse) }},
	} {
		meth := reg.Method(matchmaking.ProtocolID, m.method)
		for i, text := range texts {
			body := build(s, func(w *rmc.Writer) { m.head(w); text(w) })
			msg := m.msg()
			if err := msg.Decode(body, s); err != nil {
				t.Fatalf("method %d text %d: decode: %v", m.method, i, err)
			}
			if out, err := msg.Encode(s); err != nil || !bytes.Equal(out, body) {
				t.Errorf("method %d text %d: re-encoded %x (%v), want %x", m.method, i, out, err, body)
			}
			v, err := meth.Decode(m.request, body, s)
			if err != nil {
				t.Fatalf("method %d text %d: schema decode: %v", m.method, i, err)
			}
			if url := v.Items[len(v.Items)-1]; url.Kind != schema.KindStationURL {
				t.Errorf("method %d: url is a %s, want a stationurl", m.method, url.Kind)
			}
			if out, err := meth.Encode(m.request, v, s); err != nil || !bytes.Equal(out, body) {
				t.Errorf("method %d text %d: schema re-encoded %x (%v), want %x", m.method, i, out, err, body)
			}
		}
	}

	// Built from a parsed URL, the bodies are the string's.
	u, err := rmc.ParseStationURL(url)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		msg  sessionURLMessage
		head func(w *rmc.Writer)
	}{
		{&matchmaking.LaunchSessionRequest{GID: 7, URL: u}, func(w *rmc.Writer) { w.U32(7) }},
		{&matchmaking.UpdateSessionURLRequest{GID: 7, URL: u}, func(w *rmc.Writer) { w.U32(7) }},
		{&matchmaking.GetSessionURLResponse{Result: true, URL: u}, func(w *rmc.Writer) { w.Bool(true) }},
		{&matchmaking.GetSessionURLResponse{}, func(w *rmc.Writer) { w.Bool(false) }}, // no host: ""
	} {
		want := build(s, func(w *rmc.Writer) {
			tc.head(w)
			if r, ok := tc.msg.(*matchmaking.GetSessionURLResponse); ok && !r.Result {
				w.String("")
				return
			}
			w.String(url)
		})
		if out, err := tc.msg.Encode(s); err != nil || !bytes.Equal(out, want) {
			t.Errorf("%T: %x (%v), want %x", tc.msg, out, err, want)
		}
	}
}
