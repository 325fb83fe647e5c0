package all_test

import (
	"context"
	"testing"
	"time"

	"github.com/nexproxy/nexproxy/internal/servicetest"
	"github.com/nexproxy/nexproxy/proxy/builtin"
	"github.com/nexproxy/nexproxy/rmc/schema"

	_ "github.com/nexproxy/nexproxy/proxy/builtin/all"
)

// FuzzHostileCalls sends arbitrary bodies to every method of every
// built-in service this package links, as a local game, with Mario Kart
// 8's method variants and without, over a real secure connection. Nothing may panic (a
// panicking service would end the test process), every call is answered,
// and the server goes on answering the console afterwards.
func FuzzHostileCalls(f *testing.F) {
	reg := schema.Default()
	// Every protocol of every service the binary ships.
	var localProtocols []uint16
	for _, svc := range builtin.Services() {
		localProtocols = append(localProtocols, svc.Protocols...)
	}
	for _, id := range localProtocols {
		p := reg.Protocol(id)
		if p == nil {
			f.Fatalf("protocol %d not described", id)
		}
		for _, m := range p.Methods() {
			for _, mk8 := range []bool{false, true} {
				f.Add(id, m.ID, mk8, []byte{})
				f.Add(id, m.ID, mk8, []byte{1, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0})
			}
		}
	}
	servers := map[bool]*servicetest.Server{
		false: servicetest.Start(f, servicetest.Game{Platform: "wiiu"}, nil),
		true:  servicetest.Start(f, servicetest.Game{Platform: "wiiu", TOML: "variants = [\"mk8\"]\n"}, nil),
	}
	consoles := map[bool]*servicetest.Console{}
	console := func(t *testing.T, mk8 bool) *servicetest.Console {
		if c := consoles[mk8]; c != nil {
			select {
			case <-c.Secure.Done():
			default:
				return c
			}
		}
		c := servers[mk8].Login(t, "1001:pw1")
		consoles[mk8] = c
		return c
	}
	f.Fuzz(func(t *testing.T, proto uint16, method uint32, mk8 bool, body []byte) {
		proto = localProtocols[int(proto)%len(localProtocols)]
		if ms := reg.Protocol(proto).Methods(); len(ms) > 0 && method > 0x7FFF {
			method = ms[int(method)%len(ms)].ID
		}
		c := console(t, mk8)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := c.Secure.Call(ctx, proto, method, body); err != nil {
			select {
			case <-c.Secure.Done():
				// The server may end a connection that misbehaves; it must
				// still serve the next one.
				return
			default:
				t.Fatalf("%d/%d with %d bytes: no answer: %v", proto, method, len(body), err)
			}
		}
		if m, err := c.Secure.Call(ctx, 11, 5, nil); err != nil || !m.Success {
			t.Fatalf("after %d/%d with %d bytes: TestConnectivity: %v %v", proto, method, len(body), m, err)
		}
	})
}
