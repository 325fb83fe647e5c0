package protocols_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/nexproxy/nexproxy/internal/vectors"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/schema"
)

// fuzzSettings maps one byte onto the title contexts that change layouts:
// bit 0 request/response, bit 1 headers, bit 2 PID size, bits 3-4 NEX
// version, bit 5 the mk8 variant.
func fuzzSettings(flags uint8) (request bool, variant string, s rmc.Settings) {
	nex := [...]int{20000, 30400, 30810, 40605}[(flags>>3)&3]
	s = rmc.Settings{PIDSize: 4, StructHeader: flags&2 != 0, NEXVersion: nex}
	if flags&4 != 0 {
		s.PIDSize = 8
	}
	if flags&32 != 0 {
		variant = "mk8"
	}
	return flags&1 != 0, variant, s
}

// FuzzTypedVsTree decodes a body with the value tree and with the typed
// layer: both must agree on whether it is valid, and whatever the tree
// re-encodes to the same bytes, the typed layer must too. The seed corpus
// in testdata/fuzz holds bodies of captured and generated calls.
func FuzzTypedVsTree(f *testing.F) {
	builtSeeds(f, func(proto uint16, method uint32, flags uint8, body []byte) { f.Add(proto, method, flags, body) })
	f.Fuzz(func(t *testing.T, proto uint16, method uint32, flags uint8, body []byte) {
		request, variant, s := fuzzSettings(flags)
		reg := registryFor(t, variant)
		m := reg.Method(proto, method)
		if m == nil {
			// Steer undescribed ids onto described ones so the corpus
			// stays useful.
			ps := reg.Protocols()
			p := ps[int(proto)%len(ps)]
			ms := p.Methods()
			m = ms[int(method%uint32(len(ms)))]
		}
		if !request && m.Protocol.NoResponse {
			request = true
		}
		v, treeErr := m.Decode(request, body, s)
		msg := typedMessage(t, m, s.NEXVersion, request, variant)
		out, typedErr := typedRoundTrip(msg, body, s)
		if (treeErr == nil) != (typedErr == nil) {
			t.Fatalf("%s.%s: tree error %v, typed error %v\nbody %x", m.Protocol.Name, m.NameFor(s.NEXVersion), treeErr, typedErr, body)
		}
		if treeErr != nil {
			return
		}
		tree, err := m.Encode(request, v, s)
		if err != nil || !bytes.Equal(tree, body) {
			return // the tree itself does not reproduce this body
		}
		if !bytes.Equal(out, body) {
			t.Fatalf("%s.%s: typed re-encoded\n%x\nwant\n%x", m.Protocol.Name, m.NameFor(s.NEXVersion), out, body)
		}
	})
}

var updateSeeds = flag.Bool("update-seeds", false, "rewrite the FuzzTypedVsTree seed corpus from the vectors and tree-built bodies")

// TestWriteFuzzSeeds rewrites testdata/fuzz/FuzzTypedVsTree with -update-seeds:
// every distinct captured body (the target adds tree-built bodies itself).
func TestWriteFuzzSeeds(t *testing.T) {
	if !*updateSeeds {
		t.Skip("run with -update-seeds to rewrite the seed corpus")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzTypedVsTree")
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	write := func(proto uint16, method uint32, flags uint8, body []byte) {
		src := fmt.Sprintf("go test fuzz v1\nuint16(%d)\nuint32(%d)\nbyte(%q)\n[]byte(%q)\n", proto, method, flags, body)
		sum := sha256.Sum256([]byte(src))
		name := hex.EncodeToString(sum[:8])
		if seen[name] {
			return
		}
		seen[name] = true
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range vectors.SessionFiles {
		sf := vectors.LoadSession(t, name)
		methods := map[string]uint32{}
		for _, m := range sf.Messages {
			key := fmt.Sprint(m.Conn, "/", m.CallID)
			if m.Kind == "request" {
				methods[key] = *m.MethodID
			}
			if m.Success != nil && !*m.Success {
				continue
			}
			pid, header, nex := sf.RMC(m.Conn)
			flags := flagsFor(m.Kind == "request", "", rmc.Settings{PIDSize: pid, StructHeader: header, NEXVersion: nex})
			if _, _, s := fuzzSettings(flags); s.NEXVersion != nex {
				continue // no fuzz setting decodes this body's layout
			}
			write(m.ProtocolID, methods[key], flags, vectors.Hex(t, m.Body))
		}
	}
	t.Logf("%d seeds", len(seen))
}

// builtSeeds calls add with one tree-built request and response per
// described method, settings rotating through fuzzSettings' table.
func builtSeeds(t testing.TB, add func(proto uint16, method uint32, flags uint8, body []byte)) {
	k := 0
	for _, variant := range variantsOf() {
		reg := registryFor(t, variant)
		for _, p := range reg.Protocols() {
			for _, m := range p.Methods() {
				for _, request := range []bool{true, false} {
					if !request && p.NoResponse {
						continue
					}
					k++
					flags := uint8(k%4)<<3 | uint8(k%2)<<1 | uint8(k%3/2)<<2
					if request {
						flags |= 1
					}
					if variant != "" {
						flags |= 32
					}
					_, _, s := fuzzSettings(flags)
					f := &filler{reg: reg, s: s}
					var v *schema.Value
					if request {
						v = m.NewRequest(s)
					} else {
						v = m.NewResponse(s)
					}
					f.fill(t, v)
					body, err := m.Encode(request, v, s)
					if err != nil {
						t.Fatal(err)
					}
					add(p.ID, m.ID, flags, body)
				}
			}
		}
	}
}

// flagsFor is the inverse of fuzzSettings.
func flagsFor(request bool, variant string, s rmc.Settings) uint8 {
	var f uint8
	if request {
		f |= 1
	}
	if s.StructHeader {
		f |= 2
	}
	if s.PIDSize == 8 {
		f |= 4
	}
	switch s.NEXVersion {
	case 30400:
		f |= 1 << 3
	case 30810:
		f |= 2 << 3
	case 40605:
		f |= 3 << 3
	}
	if variant != "" {
		f |= 32
	}
	return f
}
