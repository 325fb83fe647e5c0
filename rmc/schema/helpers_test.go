package schema

import (
	"bytes"
	"testing"

	"github.com/nexproxy/nexproxy/rmc"
)

var (
	wiiu   = rmc.Settings{PIDSize: 4, StructHeader: true, NEXVersion: 30504}
	ds3    = rmc.Settings{PIDSize: 4, StructHeader: false, NEXVersion: 30400}
	nx     = rmc.Settings{PIDSize: 8, StructHeader: true, NEXVersion: 40605}
	noHead = rmc.Settings{PIDSize: 4, StructHeader: false, NEXVersion: 30504}
)

// build encodes a body with the rmc writer.
func build(s rmc.Settings, fn func(w *rmc.Writer)) []byte {
	w := rmc.NewWriter(s)
	fn(w)
	if w.Err() != nil {
		panic(w.Err())
	}
	return append([]byte(nil), w.Bytes()...)
}

func method(t testing.TB, proto, meth string) *Method {
	t.Helper()
	m := Default().MethodByName(proto, meth)
	if m == nil {
		t.Fatalf("no method %s.%s", proto, meth)
	}
	return m
}

// roundTrip decodes and re-encodes, failing unless the bytes survive.
func roundTrip(t *testing.T, m *Method, request bool, body []byte, s rmc.Settings) *Value {
	t.Helper()
	v, err := m.Decode(request, body, s)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	out, err := m.Encode(request, v, s)
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	if !bytes.Equal(out, body) {
		t.Fatalf("re-encoded\n%x\nwant\n%x", out, body)
	}
	return v
}

func mustGet(t *testing.T, v *Value, path string) *Value {
	t.Helper()
	x, err := v.Get(path)
	if err != nil {
		t.Fatalf("get %q: %v", path, err)
	}
	return x
}
