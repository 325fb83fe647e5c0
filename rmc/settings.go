package rmc

import "fmt"

// Settings is the per-title context needed to interpret RMC bodies: the same
// bytes decode differently depending on PID width and on whether structures
// carry version headers (rmc.md §3, §6.2).
type Settings struct {
	// PIDSize is 4 on 3DS/Wii U and 8 on Switch.
	PIDSize int
	// StructHeader enables the u8 version + u32 length header in front of
	// every structure level (NEX 3.5+ / PRUDP minor version >= 3).
	StructHeader bool
	// NEXVersion is the game's NEX library version as MMmmpp (30504 = 3.5.4);
	// schemas use it to pick versioned fields.
	NEXVersion int
}

// Validate reports a setting that would make decoding ambiguous.
func (s Settings) Validate() error {
	if s.PIDSize != 4 && s.PIDSize != 8 {
		return fmt.Errorf("rmc: settings: PID size %d, want 4 or 8", s.PIDSize)
	}
	if s.NEXVersion < 0 || s.NEXVersion > 999999 {
		return fmt.Errorf("rmc: settings: NEX version %d out of range 0..999999", s.NEXVersion)
	}
	return nil
}
