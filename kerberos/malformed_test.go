package kerberos

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nexproxy/nexproxy/rmc"
)

// Every malformed structure below carries a valid MAC, so the parser, not
// the MAC check, must refuse it.

func TestMalformedClientTicket(t *testing.T) {
	s := Settings{KeySize: 16, PIDSize: 4, TicketVersion: 1}
	key := []byte("0123456789abcdef")
	sk := make([]byte, 16)
	le := binary.LittleEndian
	cases := map[string][]byte{
		"empty":                     {},
		"short session key":         sk[:10],
		"no target pid":             sk,
		"short target pid":          append(sk, 2, 0),
		"no internal buffer":        le.AppendUint32(sk, 2),
		"short internal length":     append(le.AppendUint32(sk, 2), 5, 0),
		"internal longer than rest": le.AppendUint32(le.AppendUint32(sk, 2), 10),
		"huge internal length":      le.AppendUint32(le.AppendUint32(sk, 2), 0xffffffff),
		"short attributes length":   append(le.AppendUint32(le.AppendUint32(sk, 2), 0), 1),
		"attributes longer":         le.AppendUint32(le.AppendUint32(le.AppendUint32(sk, 2), 0), 3),
		"bytes after attributes":    append(le.AppendUint32(le.AppendUint32(le.AppendUint32(sk, 2), 0), 0), 9),
	}
	for what, body := range cases {
		blob, _ := Encrypt(key, body)
		if _, err := DecryptClientTicket(key, blob, s); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", what, err)
		}
	}
}

func TestMalformedInternalTicket(t *testing.T) {
	key := []byte("0123456789abcdef")
	le := binary.LittleEndian
	good := le.AppendUint64(nil, uint64(rmc.DateTimeFromTime(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))))
	infos := map[string][]byte{
		"empty":          {},
		"short time":     good[:5],
		"no pid":         good,
		"no session key": le.AppendUint32(good, 1),
		"short key":      append(le.AppendUint32(good, 1), make([]byte, 15)...),
		"month 13":       append(le.AppendUint32(le.AppendUint64(nil, 13<<22|1<<17|2025<<26), 1), make([]byte, 16)...),
		"31 february":    append(le.AppendUint32(le.AppendUint64(nil, 2<<22|31<<17|2025<<26), 1), make([]byte, 16)...),
		"never (zero)":   append(le.AppendUint32(le.AppendUint64(nil, 0), 1), make([]byte, 16)...),
		"hour 24":        append(le.AppendUint32(le.AppendUint64(nil, 24<<12|1<<22|1<<17|2025<<26), 1), make([]byte, 16)...),
	}
	for _, tv := range []int{0, 1} {
		s := Settings{KeySize: 16, PIDSize: 4, TicketVersion: tv}
		for what, info := range infos {
			var blob []byte
			if tv == 0 {
				blob, _ = Encrypt(key, info)
			} else {
				tk := []byte("ticket-key-16byt")
				sealed, _ := Encrypt(finalKey(key, tk), info)
				blob = appendBuffer(appendBuffer(nil, tk), sealed)
			}
			if _, err := ParseInternalTicket(key, blob, s); !errors.Is(err, ErrMalformed) {
				t.Errorf("v%d %s: %v", tv, what, err)
			}
		}
	}
	s := Settings{KeySize: 16, PIDSize: 4, TicketVersion: 1}
	wrappers := map[string][]byte{
		"empty":               {},
		"short key length":    {16, 0},
		"key longer":          {16, 0, 0, 0, 1, 2},
		"no sealed buffer":    appendBuffer(nil, make([]byte, 16)),
		"sealed longer":       le.AppendUint32(appendBuffer(nil, make([]byte, 16)), 100),
		"sealed too short":    appendBuffer(appendBuffer(nil, make([]byte, 16)), make([]byte, 3)),
		"bytes after sealed":  append(appendBuffer(appendBuffer(nil, make([]byte, 16)), make([]byte, 40)), 0),
		"huge ticket key len": le.AppendUint32(nil, 0xfffffff0),
	}
	for what, blob := range wrappers {
		if _, err := ParseInternalTicket(key, blob, s); !errors.Is(err, ErrMalformed) {
			t.Errorf("wrapper %s: %v", what, err)
		}
	}
	if _, err := ParseInternalTicket(key, nil, Settings{KeySize: 16, PIDSize: 4}); !errors.Is(err, ErrMalformed) {
		t.Errorf("v0 empty: %v", err)
	}
}

func TestMalformedConnect(t *testing.T) {
	le := binary.LittleEndian
	for what, p := range map[string][]byte{
		"empty":            {},
		"short length":     {1, 0},
		"ticket longer":    {5, 0, 0, 0, 1},
		"no request":       appendBuffer(nil, []byte{1, 2}),
		"request longer":   le.AppendUint32(appendBuffer(nil, []byte{1, 2}), 9),
		"huge ticket size": {0xff, 0xff, 0xff, 0xff},
	} {
		if _, _, err := SplitConnectPayload(p); !errors.Is(err, ErrMalformed) {
			t.Errorf("split %s: %v", what, err)
		}
	}
	for what, p := range map[string][]byte{
		"empty":          {},
		"no value":       {4, 0, 0, 0},
		"short buffer":   {4, 0, 0, 0, 1, 2},
		"long buffer":    {5, 0, 0, 0, 1, 0, 0, 0, 0},
		"trailing bytes": {4, 0, 0, 0, 1, 0, 0, 0, 0},
	} {
		if err := ParseConnectReply(p, 0); !errors.Is(err, ErrMalformed) {
			t.Errorf("reply %s: %v", what, err)
		}
	}
}

func TestSettingsValidate(t *testing.T) {
	good := Settings{KeySize: 32, PIDSize: 8, TicketVersion: 1, Derivation: DerivationNew}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := Settings{KeySize: 24, PIDSize: 2, TicketVersion: 2, Derivation: 7}
	err := bad.Validate()
	if !errors.Is(err, ErrInvalidSettings) {
		t.Fatalf("%v", err)
	}
	for _, want := range []string{"key size 24", "pid size 2", "ticket version 2", "derivation 7"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not report %q", err, want)
		}
	}
	if DerivationOld.String() != "old" || DerivationNew.String() != "new" || Derivation(5).String() != "Derivation(5)" {
		t.Error("Derivation.String")
	}
}

func TestDateTime(t *testing.T) {
	for _, tm := range []time.Time{
		time.Date(2024, 5, 17, 12, 34, 56, 0, time.UTC),
		time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(2024, 2, 29, 1, 2, 3, 0, time.UTC),
	} {
		v := uint64(rmc.DateTimeFromTime(tm))
		back, err := timeOfDateTime(v)
		if err != nil || !back.Equal(tm) {
			t.Errorf("%s: %#x -> %s, %v", tm, v, back, err)
		}
	}
	if v := rmc.DateTimeFromTime(time.Date(2022, 5, 21, 16, 12, 43, 0, time.UTC)); v != 0x1F996B032B {
		t.Errorf("rmc.md example: %#x", v)
	}
	if v := rmc.DateTimeFromTime(time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)); v != 0x9C3F3F7EFB {
		t.Errorf("future: %#x", v)
	}
	// Other zones are stored as UTC; sub-second precision is dropped.
	cet := time.FixedZone("CET", 3600)
	if rmc.DateTimeFromTime(time.Date(2024, 1, 1, 1, 0, 0, 999, cet)) != rmc.DateTimeFromTime(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Error("zone not converted")
	}
	if _, err := timeOfDateTime(2023<<26 | 2<<22 | 29<<17); !errors.Is(err, ErrMalformed) {
		t.Errorf("29 February 2023: %v", err)
	}
}
