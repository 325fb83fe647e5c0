package typed

import (
	"bytes"
	"errors"
	"testing"

	"github.com/nexproxy/nexproxy/rmc"
)

func TestMap(t *testing.T) {
	var m Map[uint16, int32]
	m.Set(3, 30)
	m.Set(1, 10)
	m.Set(3, 31)
	if v, ok := m.Get(3); !ok || v != 31 || len(m) != 2 || m[0].Key != 3 {
		t.Fatalf("map %v", m)
	}
	if _, ok := m.Get(9); ok {
		t.Fatal("found a missing key")
	}
}

// TestVariantForms checks that variants keep odd inner forms and reject
// unknown type ids.
func TestVariantForms(t *testing.T) {
	s := rmc.Settings{PIDSize: 4}
	body := []byte{rmc.VariantBool, 5, rmc.VariantString, 0, 0, rmc.VariantDouble, 1, 0, 0, 0, 0, 0, 0xF8, 0x7F}
	d := NewDecoder(body, s)
	l := d.Enter()
	a, b, c := d.Variant(), d.Variant(), d.Variant()
	w := d.Leave(l)
	if err := d.Close("variants"); err != nil {
		t.Fatal(err)
	}
	if a.Value != true || b.Value != "" || c.Type != rmc.VariantDouble {
		t.Fatalf("decoded %v %v %v", a, b, c)
	}
	e := NewEncoder(s)
	l = e.Enter(&w)
	e.Variant(a)
	e.Variant(b)
	e.Variant(c)
	e.Leave(l)
	out, err := e.Close(nil, "variants")
	if err != nil || !bytes.Equal(out, body) {
		t.Fatalf("re-encoded %x (%v), want %x", out, err, body)
	}
	d = NewDecoder([]byte{9, 0}, s)
	d.Variant()
	if err := d.Close("bad variant"); !errors.Is(err, rmc.ErrInvalid) {
		t.Fatalf("type id 9: %v", err)
	}
	e = NewEncoder(s)
	e.Variant(rmc.Variant{Type: rmc.VariantString, Value: 1})
	if _, err := e.Close(nil, "bad variant"); err == nil {
		t.Fatal("encoded a string variant holding an int")
	}
}

func TestTrailing(t *testing.T) {
	d := NewDecoder([]byte{1, 2}, rmc.Settings{PIDSize: 4})
	d.Reader().U8()
	if err := d.Close("one byte"); !errors.Is(err, ErrTrailing) {
		t.Fatalf("trailing byte: %v", err)
	}
}
