package schema

import (
	"slices"
	"testing"

	"github.com/nexproxy/nexproxy/rmc"
)

func TestVariantsKnown(t *testing.T) {
	if got := Default().Variants(); !slices.Equal(got, []string{"legacy", "mk8"}) {
		t.Fatalf("Variants() = %v, want [legacy mk8]", got)
	}
	if _, err := Default().WithVariants("nope"); err == nil {
		t.Fatal("WithVariants accepted an unknown variant")
	}
}

// TestVariantMK8 decodes MK8's layout of MatchmakeExtension 40 with the
// variant and the base layout (GetPlayingSession's neighbour
// AutoMatchmakeWithParam_Postpone) without it.
func TestVariantMK8(t *testing.T) {
	s := wiiu
	mk8, err := Default().WithVariants("mk8")
	if err != nil {
		t.Fatal(err)
	}
	body := build(s, func(w *rmc.Writer) {
		w.U32(1234)
		w.String("hi")
		w.Bool(true)
		w.U16(2)
		w.U32(7)
	})
	m := mk8.Method(109, 40)
	if m == nil || m.Name != "JoinMatchmakeSessionWithExtraParticipants" {
		t.Fatalf("mk8 method 109/40 = %v", m)
	}
	if m.Protocol.Name != "MatchmakeExtension" || mk8.Protocol(109).Method(40) != m {
		t.Fatal("variant method not linked to its protocol")
	}
	v := roundTrip(t, m, true, body, s)
	if got := mustGet(t, v, "extra_participants").Uint; got != 7 {
		t.Fatalf("extra_participants = %d", got)
	}
	if p, n := mk8.Names(109, 40); p != "MatchmakeExtension" || n != "JoinMatchmakeSessionWithExtraParticipants" {
		t.Fatalf("names %s.%s", p, n)
	}
	base := Default().Method(109, 40)
	if base.Name != "AutoMatchmakeWithParam_Postpone" {
		t.Fatalf("base method 109/40 = %s", base.Name)
	}
	if _, err := base.DecodeRequest(body, s); err == nil {
		t.Fatal("base layout decoded the MK8 body")
	}
	// Methods the variant does not redefine stay the base ones.
	if mk8.Method(109, 42).Name != base.Protocol.Method(42).Name || mk8.Method(112, 1).Name != "UploadScore" {
		t.Fatal("variant lost base methods")
	}
	if mk8.Method(112, 15).Name != "UploadCompetitionRankingScore" || Default().Method(112, 15).Name != "GetCachedTopXRankings" {
		t.Fatal("ranking variant not applied")
	}
	if !slices.Equal(mk8.ActiveVariants(), []string{"mk8"}) {
		t.Fatal(mk8.ActiveVariants())
	}
}

func TestVariantParseErrors(t *testing.T) {
	for name, src := range map[string]string{
		"no base":   "protocol 5 X variant v { method 1 A () }",
		"bad name":  "protocol 5 X { method 1 A () }\nprotocol 5 Y variant v { method 1 B () }",
		"duplicate": "protocol 5 X { method 1 A () }\nprotocol 5 X variant v { method 1 B () }\nprotocol 5 X variant v { method 1 B () }",
	} {
		if _, err := Parse(map[string]string{"a.nexdl": src}); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
	r, err := Parse(map[string]string{"a.nexdl": "protocol 5 X { method 1 A () }\nprotocol 5 X variant v { method 1 B () method 2 C () }"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Method(5, 1).Name != "A" || r.Method(5, 2) != nil {
		t.Fatal("variant leaked into the base registry")
	}
	v, err := r.WithVariants("v")
	if err != nil {
		t.Fatal(err)
	}
	if v.Method(5, 1).Name != "B" || v.Method(5, 2).Name != "C" || len(v.Protocol(5).Methods()) != 2 {
		t.Fatal("variant not applied")
	}
}

// TestResponseOpensWithResult: the response fields are those of the
// layout the NEX version selects, as DecodeResponse uses, and the login
// response opens with a result before NEX 4 only.
func TestResponseOpensWithResult(t *testing.T) {
	m := Default().Method(10, 6)
	if got := m.layout(40000).response; len(got) != 1 || got[0].t.kind != KindStruct {
		t.Fatalf("NEX 4 response %+v, want one ValidateAndRequestTicketResult", got)
	}
	if got := m.layout(30504).response; len(got) != 4 || got[0].t.kind != KindResult || got[2].name != "ticket" {
		t.Fatalf("NEX 3 response %+v, want result, pid, ticket, connection_data", got)
	}
	if m.ResponseOpensWithResult(40000) {
		t.Error("NEX 4 response opens with a result")
	}
	if !m.ResponseOpensWithResult(30504) {
		t.Error("NEX 3 response does not open with a result")
	}
	if Default().Method(110, 1).ResponseOpensWithResult(30504) {
		t.Error("AcquireNexUniqueId's response opens with a result")
	}
}
