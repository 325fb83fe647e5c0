package schema

import "testing"

// TestResultText: an error shows its name; a success code (error bit
// clear) says success rather than the name of its module.
func TestResultText(t *testing.T) {
	for code, want := range map[uint32]string{
		0x80030064: "0x80030064 RendezVous::InvalidUsername",
		0x00010001: "0x00010001 success",
		0x8001FFFF: "0x8001ffff",
	} {
		if got := resultText(code); got != want {
			t.Errorf("resultText(%#x) = %q, want %q", code, got, want)
		}
	}
}
