package protocols_test

import (
	"bytes"
	"testing"

	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/protocols/authentication"
	"github.com/nexproxy/nexproxy/rmc/protocols/matchmaking"
	"github.com/nexproxy/nexproxy/rmc/protocols/nattraversal"
	"github.com/nexproxy/nexproxy/rmc/protocols/secureconnection"
	"github.com/nexproxy/nexproxy/rmc/typed"
)

func build(s rmc.Settings, fn func(w *rmc.Writer)) []byte {
	w := rmc.NewWriter(s)
	fn(w)
	if w.Err() != nil {
		panic(w.Err())
	}
	return append([]byte(nil), w.Bytes()...)
}

// TestUnusualForms decodes strings in their null and unterminated forms,
// a bool byte of 2 and a station URL that does not parse, re-encodes them
// unchanged, and writes normal forms once the fields are edited.
func TestUnusualForms(t *testing.T) {
	s := rmc.Settings{PIDSize: 4, NEXVersion: 30400}
	body := build(s, func(w *rmc.Writer) {
		w.StringNull()                   // url: null form, does not parse
		w.StringBytes([]byte("prudp:/")) // new: unterminated
	})
	var req secureconnection.ReplaceURLRequest
	if err := req.Decode(body, s); err != nil {
		t.Fatal(err)
	}
	if req.URL.Scheme != "" || req.New.String() != "prudp:/" {
		t.Fatalf("decoded %+v", req)
	}
	out, err := req.Encode(s)
	if err != nil || !bytes.Equal(out, body) {
		t.Fatalf("re-encoded %x (%v), want %x", out, err, body)
	}
	req.URL = typed.URL("prudps:/address=1.2.3.4")
	req.New.Set("port", "1")
	out, err = req.Encode(s)
	want := build(s, func(w *rmc.Writer) { w.String("prudps:/address=1.2.3.4"); w.StringBytes([]byte("prudp:/port=1")) })
	if err != nil || !bytes.Equal(out, want) {
		t.Fatalf("edited %x (%v), want %x", out, err, want)
	}

	// Strings: null and unterminated forms survive, edits write the normal form.
	body = build(s, func(w *rmc.Writer) { w.StringNull() })
	var login authentication.LoginRequest
	if err := login.Decode(body, s); err != nil || login.Username != "" {
		t.Fatalf("null string: %q, %v", login.Username, err)
	}
	if out, err := login.Encode(s); err != nil || !bytes.Equal(out, body) {
		t.Fatalf("null string re-encoded %x (%v)", out, err)
	}
	login.Username = "x"
	if out, _ := login.Encode(s); !bytes.Equal(out, []byte{2, 0, 'x', 0}) {
		t.Fatalf("edited null string %x", out)
	}
	body = build(s, func(w *rmc.Writer) { w.StringBytes([]byte("abc")) })
	if err := login.Decode(body, s); err != nil || login.Username != "abc" {
		t.Fatalf("unterminated string: %q, %v", login.Username, err)
	}
	if out, err := login.Encode(s); err != nil || !bytes.Equal(out, body) {
		t.Fatalf("unterminated string re-encoded %x (%v)", out, err)
	}

	body = build(s, func(w *rmc.Writer) { w.U32(7); w.U8(2); w.U32(9) })
	nat := new(nattraversal.ReportNATTraversalResultRequest)
	if err := nat.Decode(body, s); err != nil {
		t.Fatal(err)
	}
	if !nat.Result || !nat.HasRTT || nat.RTT != 9 {
		t.Fatalf("decoded %+v", nat)
	}
	if out, err := nat.Encode(s); err != nil || !bytes.Equal(out, body) {
		t.Fatalf("bool byte 2 re-encoded %x (%v)", out, err)
	}
	nat.Result = false
	nat.HasRTT = false
	if out, _ := nat.Encode(s); !bytes.Equal(out, []byte{7, 0, 0, 0, 0}) {
		t.Fatalf("edited %x", out)
	}
}

// TestAnyDataAndTail checks that a holder of an unknown class and a held
// object that does not decode keep their bytes, and that a structure
// decoded with unknown trailing header content keeps it.
func TestAnyDataAndTail(t *testing.T) {
	s := rmc.Settings{PIDSize: 4, StructHeader: true, NEXVersion: 30504}
	body := build(s, func(w *rmc.Writer) {
		w.String("1000")
		w.AnyDataRaw("SomeGameClass", []byte{1, 2, 3})
	})
	var req authentication.LoginExRequest
	if err := req.Decode(body, s); err != nil {
		t.Fatal(err)
	}
	if req.ExtraData.Class != "SomeGameClass" || req.ExtraData.Value != nil || !bytes.Equal(req.ExtraData.Raw, []byte{1, 2, 3}) {
		t.Fatalf("unknown class decoded as %+v", req.ExtraData)
	}
	if out, err := req.Encode(s); err != nil || !bytes.Equal(out, body) {
		t.Fatalf("re-encoded %x (%v)", out, err)
	}
	// A known class whose bytes do not fit its description stays raw.
	body = build(s, func(w *rmc.Writer) { w.String("1000"); w.AnyDataRaw("AuthenticationInfo", []byte{0}) })
	if err := req.Decode(body, s); err != nil || req.ExtraData.Value != nil || req.ExtraData.Class != "AuthenticationInfo" {
		t.Fatalf("bad AuthenticationInfo: %+v, %v", req.ExtraData, err)
	}
	// A Gathering with a newer revision's extra bytes in its header.
	g := matchmaking.NewGathering()
	g.Description = "room"
	plain, err := g.Encode(s)
	if err != nil {
		t.Fatal(err)
	}
	withTail := append([]byte{plain[0]}, plain[1:]...)
	withTail = append(withTail, 0xAA, 0xBB)
	withTail[1] += 2 // content length
	var h matchmaking.Gathering
	if err := h.Decode(withTail, s); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(h.Wire().Tail(), []byte{0xAA, 0xBB}) {
		t.Fatalf("tail %x", h.Wire().Tail())
	}
	if out, err := h.Encode(s); err != nil || !bytes.Equal(out, withTail) {
		t.Fatalf("re-encoded %x (%v), want %x", out, err, withTail)
	}
	if _, err := h.Encode(rmc.Settings{PIDSize: 4, NEXVersion: 30504}); err == nil {
		t.Fatal("tail bytes encoded without structure headers")
	}
	// Trailing bytes after a call are an error.
	if err := h.Decode(append(withTail, 0), s); err == nil {
		t.Fatal("trailing byte accepted")
	}
}
