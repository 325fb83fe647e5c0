package proxy

import (
	"bytes"
	"encoding/hex"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/nexproxy/nexproxy/internal/vectors"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/schema"
)

// fuzzRMCSettings maps one byte onto the settings that change the layout
// of login responses: bit 0 structure headers, bit 1 the PID size, bits
// 2-3 the NEX version.
func fuzzRMCSettings(flags uint8) rmc.Settings {
	s := rmc.Settings{PIDSize: 4, StructHeader: flags&1 != 0, NEXVersion: [...]int{30500, 30810, 40000, 40600}[flags>>2&3]}
	if flags&2 != 0 {
		s.PIDSize = 8
	}
	return s
}

func fuzzRMCFlags(s rmc.Settings) uint8 {
	var f uint8
	if s.StructHeader {
		f |= 1
	}
	if s.PIDSize == 8 {
		f |= 2
	}
	switch {
	case s.NEXVersion >= 40600:
		f |= 3 << 2
	case s.NEXVersion >= 40000:
		f |= 2 << 2
	case s.NEXVersion >= 30810:
		f |= 1 << 2
	}
	return f
}

// vectorBodies calls fn with the protocol, method, direction, settings
// and body of every message of the session vectors (none without them).
func vectorBodies(tb testing.TB, fn func(proto uint16, method uint32, request bool, s rmc.Settings, body []byte)) {
	dir := vectors.Dir()
	if dir == "" {
		return
	}
	for _, name := range vectors.SessionFiles {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			continue
		}
		v := vectors.LoadSession(tb, name)
		for _, m := range v.Messages {
			if m.MethodID == nil {
				continue
			}
			body, err := hex.DecodeString(m.Body)
			if err != nil {
				continue
			}
			pidSize, header, nex := v.RMC(m.Conn)
			fn(m.ProtocolID, *m.MethodID, m.Kind == "request", rmc.Settings{PIDSize: pidSize, StructHeader: header, NEXVersion: nex}, body)
		}
	}
}

// FuzzLoginResponse feeds arbitrary login and ticket responses from an
// upstream to what the authentication rewriter and the client read of
// them: the leading result refused judges, the decoded tree's login
// fields and their station URL, and the client's own Login parse. None
// may panic; refused agrees with the result the body opens with, a
// refusal never logs the client in, and a tree that decodes re-encodes to
// a body that decodes to the same bytes again.
func FuzzLoginResponse(f *testing.F) {
	methods := []uint32{authLogin, authLoginEx, authRequestTicket, authLoginWithParam}
	const secure = "prudps:/address=127.0.0.1;port=60011;CID=1;PID=2;sid=1;stream=10;type=2"
	for _, s := range []rmc.Settings{{PIDSize: 4, StructHeader: false, NEXVersion: 30500}, {PIDSize: 4, StructHeader: true, NEXVersion: 30810}, {PIDSize: 8, StructHeader: true, NEXVersion: 40600}} {
		fl := fuzzRMCFlags(s)
		ok := loginBody(f, s, rmc.ResultSuccess, secure, "")
		f.Add(uint8(0), fl, ok)
		f.Add(uint8(0), fl, ok[:len(ok)-1])
		f.Add(uint8(0), fl, ok[:4])
		f.Add(uint8(0), fl, loginBody(f, s, rmc.ResultSuccess, "prudp:/a", ""))
		for i, m := range methods {
			for _, blank := range []bool{true, false} {
				f.Add(uint8(i), fl, refusalBody(s, m, rmc.ResultRendezVousInvalidUsername, blank))
			}
		}
		f.Add(uint8(2), fl, refusalBody(s, authRequestTicket, rmc.ResultSuccess, false))
	}
	vectorBodies(f, func(proto uint16, method uint32, request bool, s rmc.Settings, body []byte) {
		if proto != protoAuth || request {
			return
		}
		for i, m := range methods {
			if m == method {
				f.Add(uint8(i), fuzzRMCFlags(s), body)
			}
		}
	})
	reg := schema.Default()
	f.Fuzz(func(t *testing.T, which, flags uint8, body []byte) {
		s := fuzzRMCSettings(flags)
		method := methods[int(which)%len(methods)]
		m := reg.Method(protoAuth, method)
		if m == nil {
			t.Fatalf("method %d not described", method)
		}
		r := rmc.NewReader(body, s)
		lead := r.Result()
		isRefused := refused(m, body, s)
		if isRefused && (r.Err() != nil || !lead.IsError()) {
			t.Fatalf("refused a body that does not open with an error result: %x", body)
		}
		if method == authLogin {
			pid, ticket, st, err := parseLoginResponse(body, s)
			if err == nil && (isRefused || lead.IsError()) {
				t.Fatalf("refused login accepted as pid %d ticket %x station %q", pid, ticket, st.String())
			}
			if err != nil && errors.Is(err, ErrLoginRefused) && !lead.IsError() {
				t.Fatalf("successful result reported as refused: %v", err)
			}
		}
		if isRefused {
			return
		}
		v, err := m.DecodeResponse(body, s)
		if err != nil {
			return
		}
		fields := findLoginFields(v)
		if fields.station != nil {
			if u, err := rmc.ParseStationURL(fields.station.Str); err == nil {
				_, _ = urlAddr(&u)
				_ = stationWithAddr(u, "192.0.2.1", 60000).String()
			}
		}
		out, err := m.EncodeResponse(v, s)
		if err != nil {
			t.Fatalf("decoded response does not re-encode: %v", err)
		}
		v2, err := m.DecodeResponse(out, s)
		if err != nil {
			t.Fatalf("re-encoded response does not decode: %v\n%x", err, out)
		}
		if out2, err := m.EncodeResponse(v2, s); err != nil || !bytes.Equal(out2, out) {
			t.Fatalf("re-encoding unstable: %v\n%x\n%x", err, out, out2)
		}
	})
}

// refusalBody is a login or ticket response refused in its result field:
// the other fields blank, or the result alone.
func refusalBody(s rmc.Settings, method uint32, res rmc.Result, blank bool) []byte {
	w := rmc.NewWriter(s)
	w.Result(res)
	switch {
	case !blank:
	case method == authRequestTicket:
		w.Buffer(nil)
		if s.NEXVersion >= 40000 {
			w.String("")
		}
	default:
		w.PID(0)
		w.Buffer(nil)
		w.StructBegin(0)
		w.String("")
		w.ListLen(0)
		w.String("")
		w.StructEnd(nil)
		w.String("")
	}
	return w.Bytes()
}

// describedMethod maps any ids onto a described method of reg, so that a
// fuzz corpus of arbitrary ids stays useful.
func describedMethod(reg *schema.Registry, proto uint16, method uint32) *schema.Method {
	ps := reg.Protocols()
	p := ps[int(proto)%len(ps)]
	ms := p.Methods()
	return ms[int(method%uint32(len(ms)))]
}

// FuzzRewriteURLs feeds arbitrary bodies of every described method to the
// station URL rewriting: decoding (or the raw fallback), the edits of
// every URL that parses, and the re-encoding. Nothing may panic; the
// edited tree re-encodes and decodes again with the URLs pointing where
// they were sent.
func FuzzRewriteURLs(f *testing.F) {
	const secure = "prudps:/address=10.0.0.5;port=60011;CID=1;PID=2;sid=1;stream=10;type=2"
	for _, s := range []rmc.Settings{{PIDSize: 4, StructHeader: true, NEXVersion: 30810}, {PIDSize: 8, StructHeader: true, NEXVersion: 40600}} {
		f.Add(uint16(protoAuth), uint32(authLogin), false, fuzzRMCFlags(s), loginBody(f, s, rmc.ResultSuccess, secure, "prudp:/"))
		w := rmc.NewWriter(s)
		w.ListLen(1)
		w.String("prudp:/address=10.0.0.5;port=5000;sid=15;type=3")
		f.Add(uint16(protoSecure), uint32(secureRegister), true, fuzzRMCFlags(s), w.Bytes())
		w = rmc.NewWriter(s)
		w.Result(rmc.ResultSuccess)
		w.U32(7)
		w.String("prudp:/address=203.0.113.9;port=5001;sid=15;type=3")
		f.Add(uint16(protoSecure), uint32(secureRegister), false, fuzzRMCFlags(s), w.Bytes())
		f.Add(uint16(protoSecure), uint32(secureRegister), false, fuzzRMCFlags(s), w.Bytes()[:w.Len()-3])
	}
	vectorBodies(f, func(proto uint16, method uint32, request bool, s rmc.Settings, body []byte) {
		if mayHoldURL(body) {
			f.Add(proto, method, request, fuzzRMCFlags(s), body)
		}
	})
	reg := schema.Default()
	to := netip.MustParseAddrPort("192.0.2.7:61000")
	f.Fuzz(func(t *testing.T, proto uint16, method uint32, request bool, flags uint8, body []byte) {
		s := fuzzRMCSettings(flags)
		m := reg.Method(proto, method)
		if m == nil {
			// Undescribed: passed on as it is.
			if v, err := reg.DecodeOrRaw(proto, method, request, body, s); err != nil || v.Kind != schema.KindRaw {
				t.Fatalf("undescribed method decoded as %v, %v", v, err)
			}
			m = describedMethod(reg, proto, method)
			proto, method = m.Protocol.ID, m.ID
		}
		if !request && m.Protocol.NoResponse {
			return
		}
		v, err := reg.DecodeOrRaw(proto, method, request, body, s)
		if err != nil {
			if v == nil || v.Kind != schema.KindRaw || !bytes.Equal(v.Bytes, body) {
				t.Fatalf("failed decode does not fall back to the raw body: %v", err)
			}
			return
		}
		if n := firstURL(v); n != nil {
			_, _ = rmc.ParseStationURL(n.Str)
		}
		edited := 0
		changed := editURLs(v, func(u *rmc.StationURL) bool {
			if _, ok := urlAddr(u); !ok {
				return false
			}
			setURLAddr(u, to)
			edited++
			return true
		})
		if changed != (edited > 0) {
			t.Fatalf("editURLs reported %v after %d edits", changed, edited)
		}
		if !changed {
			return
		}
		out, err := reg.Encode(proto, method, request, v, s)
		if err != nil {
			// A URL grown past what the wire can carry is refused, not
			// sent; the rewriter then relays the body unchanged.
			return
		}
		v2, err := m.Decode(request, out, s)
		if err != nil {
			t.Fatalf("edited body does not decode: %v\n%x", err, out)
		}
		again := 0
		editURLs(v2, func(u *rmc.StationURL) bool {
			if ap, ok := urlAddr(u); ok {
				if ap != to {
					t.Fatalf("edited url names %s", ap)
				}
				again++
			}
			return false
		})
		if again != edited {
			t.Fatalf("%d urls edited, %d found after re-encoding", edited, again)
		}
	})
}

// FuzzDecodePrefix feeds arbitrary bodies of described methods to the
// URL rewriter's decoder of bodies with bytes the schema does not
// describe after the last value: nothing may panic, and a body it splits
// re-encodes, values then tail, to the same bytes (what the proxy
// forwards when it rewrote nothing else).
func FuzzDecodePrefix(f *testing.F) {
	for _, s := range []rmc.Settings{{PIDSize: 4, StructHeader: true, NEXVersion: 30810}, {PIDSize: 4, StructHeader: false, NEXVersion: 30500}} {
		w := rmc.NewWriter(s)
		w.Result(rmc.ResultSuccess)
		w.U32(7)
		w.String("prudp:/address=203.0.113.9;port=5001;sid=15;type=3")
		f.Add(uint16(protoSecure), uint32(secureRegister), false, fuzzRMCFlags(s), w.Bytes())
		f.Add(uint16(protoSecure), uint32(secureRegister), false, fuzzRMCFlags(s), append(w.Bytes(), 1, 2, 3))
	}
	vectorBodies(f, func(proto uint16, method uint32, request bool, s rmc.Settings, body []byte) {
		if mayHoldURL(body) {
			f.Add(proto, method, request, fuzzRMCFlags(s), append(bytes.Clone(body), 0xEE))
		}
	})
	reg := schema.Default()
	f.Fuzz(func(t *testing.T, proto uint16, method uint32, request bool, flags uint8, body []byte) {
		s := fuzzRMCSettings(flags)
		m := reg.Method(proto, method)
		if m == nil {
			m = describedMethod(reg, proto, method)
		}
		v, tail, err := decodePrefix(m, request, body, s)
		if err != nil {
			return
		}
		out, err := m.Encode(request, v, s)
		if err != nil {
			t.Fatalf("decoded prefix does not encode: %v", err)
		}
		if got := append(out, tail...); !bytes.Equal(got, body) {
			t.Fatalf("values and tail re-encode to\n%x\nnot\n%x", got, body)
		}
	})
}
