package rmc

import (
	"bytes"
	"testing"

	"github.com/nexproxy/nexproxy/internal/vectors"
)

// The Login/LoginEx responses of the vectors exercise the Reader and Writer
// on real bytes: Result, PID, Buffer ticket, RVConnectionData (a structure
// with two StationURLs, a List<u8> and, with headers at revision 1, a
// DateTime) and a String (plus a source key String in NEX 4 method 2). Decoding then re-encoding must reproduce the body,
// also after the secure station's address is rewritten in place.
func TestLoginResponseVectors(t *testing.T) {
	for file, s := range loadSessions(t) {
		seen := 0
		for i, m := range s.Messages {
			if m.Kind != "response" || m.ProtocolID != 10 || m.MethodID == nil || (*m.MethodID != 1 && *m.MethodID != 2) || !*m.Success {
				continue
			}
			st := connSettings(s, m.Conn)
			body := vectors.Hex(t, m.Body)
			r := NewReader(body, st)
			res := r.Result()
			pid := r.PID()
			ticket := r.Buffer()
			version := r.StructBegin()
			main := r.StationURL()
			n := r.ListLen()
			special := make([]uint8, 0, n)
			for j := 0; j < n; j++ {
				special = append(special, r.U8())
			}
			special2 := r.StationURL()
			var now DateTime
			if st.StructHeader && version >= 1 {
				now = r.DateTime()
			}
			tail := r.StructEnd()
			name := r.String()
			// NEX 4 ValidateAndRequestTicketWithCustomData adds a source key.
			hasKey := st.NEXVersion >= 40000 && *m.MethodID == 2
			var key string
			if hasKey {
				key = r.String()
			}
			if r.Err() != nil || r.Remaining() != 0 {
				t.Fatalf("%s #%d: %v, %d bytes left", file, i, r.Err(), r.Remaining())
			}
			if res != ResultSuccess || pid == 0 || len(ticket) == 0 || main.Scheme != "prudps" || special2.String() != "prudp:/" || name == "" {
				t.Fatalf("%s #%d: result %v pid %d ticket %d url %q %q name %q", file, i, res, pid, len(ticket), main, special2, name)
			}
			if st.StructHeader && (version != 1 || now.Year() < 2020 || now.Month() < 1 || now.Month() > 12) {
				t.Fatalf("%s #%d: version %d time %v", file, i, version, now)
			}
			port, ok := main.Port()
			if !ok || port == 0 {
				t.Fatalf("%s #%d: secure url %q has no port", file, i, main)
			}

			encode := func(u StationURL) []byte {
				w := NewWriter(st)
				w.Result(res)
				w.PID(pid)
				w.Buffer(ticket)
				w.StructBegin(version)
				w.StationURL(u)
				w.ListLen(len(special))
				for _, b := range special {
					w.U8(b)
				}
				w.StationURL(special2)
				if st.StructHeader && version >= 1 {
					w.DateTime(now)
				}
				w.StructEnd(tail)
				w.String(name)
				if hasKey {
					w.String(key)
				}
				if w.Err() != nil {
					t.Fatal(w.Err())
				}
				return append([]byte(nil), w.Bytes()...)
			}
			if got := encode(main); !bytes.Equal(got, body) {
				t.Fatalf("%s #%d: re-encoded\n%x\nwant\n%x", file, i, got, body)
			}
			// Rewrite the secure station to a longer address: the structure
			// length must follow and the key order must not change.
			edited := main.Clone()
			edited.SetAddress("192.168.100.200")
			edited.SetPort(60000)
			out := encode(edited)
			r = NewReader(out, st)
			r.Result()
			r.PID()
			r.Buffer()
			r.StructBegin()
			got := r.StationURL()
			if r.Err() != nil || got.String() != edited.String() || len(got.Params) != len(main.Params) {
				t.Fatalf("%s #%d: edited url read back %q, %v", file, i, got, r.Err())
			}
			for k := range got.Params {
				if got.Params[k].Key != main.Params[k].Key {
					t.Fatalf("%s #%d: key order changed", file, i)
				}
			}
			seen++
		}
		if seen < 2 {
			t.Fatalf("%s: only %d login responses", file, seen)
		}
	}
}
