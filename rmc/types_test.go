package rmc

import (
	"testing"
	"time"
)

func TestDateTimeExamples(t *testing.T) {
	tests := []struct {
		d    DateTime
		when time.Time
		str  string
	}{
		{0x1F996B032B, time.Date(2022, 5, 21, 16, 12, 43, 0, time.UTC), "2022-05-21 16:12:43"},
		{0x1F40420000, time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), "2000-01-01 00:00:00"},
		{Future, time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC), "9999-12-31 23:59:59"},
	}
	for _, tt := range tests {
		if got := DateTimeFromTime(tt.when); got != tt.d {
			t.Errorf("DateTimeFromTime(%v) = %#x, want %#x", tt.when, uint64(got), uint64(tt.d))
		}
		if !tt.d.Time().Equal(tt.when) || tt.d.Time().Location() != time.UTC {
			t.Errorf("%#x.Time() = %v", uint64(tt.d), tt.d.Time())
		}
		if tt.d.String() != tt.str {
			t.Errorf("%#x.String() = %q", uint64(tt.d), tt.d.String())
		}
		y, mo, d := tt.when.Date()
		if tt.d.Year() != y || tt.d.Month() != int(mo) || tt.d.Day() != d || tt.d.Hour() != tt.when.Hour() ||
			tt.d.Minute() != tt.when.Minute() || tt.d.Second() != tt.when.Second() {
			t.Errorf("%#x: fields", uint64(tt.d))
		}
	}
	if Future != NewDateTime(9999, 12, 31, 23, 59, 59) || Never != 0 || Never.String() != "0000-00-00 00:00:00" {
		t.Fatal("special values")
	}
	// Zones are converted to UTC, as servers write UTC.
	tokyo := time.FixedZone("JST", 9*3600)
	if got := DateTimeFromTime(time.Date(2022, 5, 22, 1, 12, 43, 0, tokyo)); got != 0x1F996B032B {
		t.Fatalf("zone conversion %v", got)
	}
	if DateTimeFromTime(time.Date(-5, 1, 1, 0, 0, 0, 0, time.UTC)) != Never {
		t.Fatal("negative year")
	}
	// Hostile bit patterns print their raw fields and never panic.
	if got := DateTime(^uint64(0)).String(); got != "274877906943-15-31 31:63:63" {
		t.Fatalf("all ones %q", got)
	}
	_ = DateTime(^uint64(0)).Time()
	if Now().Year() < 2024 {
		t.Fatal("Now")
	}
}

func TestQUUID(t *testing.T) {
	var u QUUID
	copy(u[:], mustHex(t, "ae5e3e66297d8c4aa98420499ad98c3e"))
	const s = "663e5eae-7d29-4a8c-84a9-4920d99a3e8c"
	if u.String() != s {
		t.Fatalf("String = %s", u)
	}
	got, err := ParseQUUID(s)
	if err != nil || got != u {
		t.Fatalf("ParseQUUID = %x, %v", got, err)
	}
	if (QUUID{}).String() != "00000000-0000-0000-0000-000000000000" {
		t.Fatal("zero")
	}
	for _, bad := range []string{"", s[:35], s + "0", "663e5eae-7d29-4a8c-84a9_4920d99a3e8c", "663e5eae-7d29-4a8c-84a9-4920d99a3e8g"} {
		if _, err := ParseQUUID(bad); err == nil {
			t.Errorf("ParseQUUID(%q) accepted", bad)
		}
	}
	// Reader.QUUID's [16]byte converts to QUUID without a cast.
	var raw [16]byte = u
	if QUUID(raw) != u {
		t.Fatal("conversion")
	}
}

func TestVariantHelpers(t *testing.T) {
	if v := VariantOfInt(0); v.Type != VariantUInt64 || v.Value != uint64(0) {
		t.Fatalf("%#v", v)
	}
	if v := VariantOfInt(-1); v.Type != VariantInt64 || v.Value != int64(-1) {
		t.Fatalf("%#v", v)
	}
	if (Variant{}).String() != "none" || (Variant{VariantString, "x"}).String() != "x" {
		t.Fatal("String")
	}
}
