package auth

import (
	"context"
	"testing"

	"github.com/nexproxy/nexproxy/internal/servicetest"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/protocols/authentication"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// FuzzServeRMC feeds hostile request bodies to every method: the handler
// must answer (or pass on) without panicking.
func FuzzServeRMC(f *testing.F) {
	f.Add(uint8(1), []byte("\x08\x001234567\x00"))
	f.Add(uint8(2), []byte("\x06\x00guest\x00\x13\x00AuthenticationInfo\x00\x08\x00\x00\x00\x04\x00\x00\x00abcd"))
	f.Add(uint8(3), []byte("\x87\xd6\x12\x00\x02\x00\x00\x00"))
	f.Add(uint8(6), []byte("\x00\x10\x00\x00\x00\x03\x00\x00\x00"))
	f.Add(uint8(4), []byte{0xff, 0xff})
	spec, err := servicetest.Host(f).Named(Name)(testEnv(f))
	if err != nil {
		f.Fatal(err)
	}
	h := spec.Link(rpc.NotImplemented)
	f.Fuzz(func(t *testing.T, method uint8, body []byte) {
		for _, s := range []rmc.Settings{{PIDSize: 4, NEXVersion: 30504, StructHeader: true}, {PIDSize: 8, NEXVersion: 40605, StructHeader: true}} {
			sess := &rpc.Session{ID: "f", Leg: rpc.LegAuth, Settings: s}
			r, err := h.ServeRMC(context.Background(), &rpc.Call{Session: sess, Protocol: authentication.ProtocolID, Method: uint32(method % 8), Body: body})
			if err != nil || r == nil {
				t.Fatalf("method %d: %v %v", method, r, err)
			}
		}
	})
}
