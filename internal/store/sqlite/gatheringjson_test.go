package sqlite

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"

	"github.com/nexproxy/nexproxy/internal/store"
)

// TestGatheringJSONLikeEncodingJSON: the columns are written byte for
// byte as json.Marshal writes them, and read back alike.
func TestGatheringJSONLikeEncodingJSON(t *testing.T) {
	attrs := [][]uint32{nil, {}, {0}, {7, 0, 3, math.MaxUint32}}
	for _, a := range attrs {
		want := a
		if want == nil {
			want = []uint32{}
		}
		wj, _ := json.Marshal(want)
		if got := appendAttributesJSON(nil, a); string(got) != string(wj) {
			t.Errorf("attributes %v: %s, json.Marshal %s", a, got, wj)
		}
		back, err := decodeAttributesJSON(string(wj))
		if err != nil || !reflect.DeepEqual(back, want) {
			t.Errorf("attributes %s read as %v, %v", wj, back, err)
		}
	}
	parts := [][]store.GatheringParticipant{nil, {}, {{PID: 1}}, {{PID: math.MaxUint64, Extra: 4}, {PID: 10, Extra: math.MaxUint16}}}
	for _, ps := range parts {
		want := ps
		if want == nil {
			want = []store.GatheringParticipant{}
		}
		wj, _ := json.Marshal(want)
		if got := appendParticipantsJSON(nil, ps); string(got) != string(wj) {
			t.Errorf("participants %v: %s, json.Marshal %s", ps, got, wj)
		}
		back, err := decodeParticipantsJSON(string(wj))
		if err != nil || !reflect.DeepEqual(back, want) {
			t.Errorf("participants %s read as %v, %v", wj, back, err)
		}
	}
}

// TestGatheringJSONOtherForms: forms the fast path does not take (spaces,
// other key order, null) are read by encoding/json; malformed ones fail.
func TestGatheringJSONOtherForms(t *testing.T) {
	if a, err := decodeAttributesJSON(" [1, 2]"); err != nil || !reflect.DeepEqual(a, []uint32{1, 2}) {
		t.Errorf("spaced attributes: %v %v", a, err)
	}
	if p, err := decodeParticipantsJSON(`[{"Extra":1,"PID":5}]`); err != nil || !reflect.DeepEqual(p, []store.GatheringParticipant{{PID: 5, Extra: 1}}) {
		t.Errorf("reordered participant: %v %v", p, err)
	}
	if p, err := decodeParticipantsJSON("null"); err != nil || p != nil {
		t.Errorf("null participants: %v %v", p, err)
	}
	for _, bad := range []string{"", "[", "[1,]", "[01]", "[4294967296]", "[-1]", "[1]x"} {
		if _, err := decodeAttributesJSON(bad); err == nil {
			t.Errorf("attributes %q read", bad)
		}
	}
	for _, bad := range []string{"", "[{", `[{"PID":1,"Extra":65536}]`, `[{"PID":1,"Extra":0}`, `[{"PID":18446744073709551616,"Extra":0}]`} {
		if _, err := decodeParticipantsJSON(bad); err == nil {
			t.Errorf("participants %q read", bad)
		}
	}
}

// FuzzGatheringJSON: the fast readers agree with encoding/json on any
// input, and never panic.
func FuzzGatheringJSON(f *testing.F) {
	for _, s := range []string{"[]", "[1,2,3]", `[{"PID":1,"Extra":0}]`, "null", "[01]", `[{"PID":1,"Extra":0},{"PID":2,"Extra":3}]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, aerr := decodeAttributesJSON(s)
		var wa []uint32
		werr := json.Unmarshal([]byte(s), &wa)
		if (aerr == nil) != (werr == nil) || (aerr == nil && !reflect.DeepEqual(a, wa)) {
			t.Errorf("attributes %q: %v %v, encoding/json %v %v", s, a, aerr, wa, werr)
		}
		p, perr := decodeParticipantsJSON(s)
		var wp []store.GatheringParticipant
		werr = json.Unmarshal([]byte(s), &wp)
		if (perr == nil) != (werr == nil) || (perr == nil && !reflect.DeepEqual(p, wp)) {
			t.Errorf("participants %q: %v %v, encoding/json %v %v", s, p, perr, wp, werr)
		}
	})
}
