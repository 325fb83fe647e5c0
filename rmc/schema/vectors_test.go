package schema

import (
	"bytes"
	"testing"

	"github.com/nexproxy/nexproxy/internal/vectors"
	"github.com/nexproxy/nexproxy/rmc"
)

// settingsFor returns the RMC settings of one connection of a session.
func settingsFor(f *vectors.Session, conn string) rmc.Settings {
	pid, header, nex := f.RMC(conn)
	return rmc.Settings{PIDSize: pid, StructHeader: header, NEXVersion: nex}
}

func TestVectorsRoundTrip(t *testing.T) {
	reg := Default()
	for _, name := range vectors.SessionFiles {
		t.Run(name, func(t *testing.T) {
			f := vectors.LoadSession(t, name)
			type callKey struct {
				conn string
				call uint32
			}
			pending := map[callKey]uint32{}
			decoded := 0
			for i, m := range f.Messages {
				s := settingsFor(f, m.Conn)
				body := vectors.Hex(t, m.Body)
				if m.Kind == "request" {
					pending[callKey{m.Conn, m.CallID}] = *m.MethodID
				}
				methodID, ok := pending[callKey{m.Conn, m.CallID}]
				if !ok {
					t.Fatalf("message %d: response to unknown call %d", i, m.CallID)
				}
				if m.MethodID != nil && *m.MethodID != methodID {
					t.Fatalf("message %d: method %d, request had %d", i, *m.MethodID, methodID)
				}
				pn, mn := reg.NamesFor(m.ProtocolID, methodID, s.NEXVersion)
				if reg.Method(m.ProtocolID, methodID) == nil {
					t.Fatalf("message %d: protocol %d method %d not described (%s.%s)", i, m.ProtocolID, methodID, pn, mn)
				}
				if m.Kind == "response" && m.Success != nil && !*m.Success {
					if len(body) != 0 {
						t.Fatalf("message %d: error response with a body", i)
					}
					continue // an error carries no values
				}
				meth := reg.Method(m.ProtocolID, methodID)
				request := m.Kind == "request"
				v, err := meth.Decode(request, body, s)
				if err != nil {
					t.Fatalf("message %d (%s.%s %s, %v): decode: %v\nbody %s", i, pn, mn, m.Kind, s, err, m.Body)
				}
				if v.Name != mn {
					t.Errorf("message %d: decoded name %q, want %q", i, v.Name, mn)
				}
				out, err := meth.Encode(request, v, s)
				if err != nil {
					t.Fatalf("message %d (%s.%s %s): encode: %v", i, pn, mn, m.Kind, err)
				}
				if !bytes.Equal(out, body) {
					t.Fatalf("message %d (%s.%s %s): re-encoded\n%x\nwant\n%x", i, pn, mn, m.Kind, out, body)
				}
				if _, err := v.MarshalJSON(); err != nil {
					t.Fatal(err)
				}
				decoded++
			}
			if decoded == 0 {
				t.Fatal("no message decoded")
			}
			t.Logf("%d messages decoded and re-encoded", decoded)
		})
	}
}
