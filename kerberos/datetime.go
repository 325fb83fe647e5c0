package kerberos

import (
	"fmt"
	"time"

	"github.com/nexproxy/nexproxy/rmc"
)

// The ticket issue time is an rmc.DateTime (UTC calendar fields, one-second
// resolution); rmc.DateTimeFromTime packs it. Unpacking is stricter here
// than rmc.DateTime.Time, which normalises: a ticket whose time names no
// real instant is malformed.

// timeOfDateTime unpacks v, refusing fields that name no real instant
// (month 13, 31 February, ...) so that a decoded time always re-encodes
// to the same bits.
func timeOfDateTime(v uint64) (time.Time, error) {
	d := rmc.DateTime(v)
	year, month, day := d.Year(), d.Month(), d.Day()
	if year < 1 || year > 9999 || month < 1 || month > 12 || day < 1 || d.Hour() > 23 || d.Minute() > 59 || d.Second() > 59 {
		return time.Time{}, fmt.Errorf("%w: DateTime %#x is not a calendar time", ErrMalformed, v)
	}
	t := d.Time()
	if t.Day() != day {
		return time.Time{}, fmt.Errorf("%w: DateTime %#x: day %d does not exist in %d-%02d", ErrMalformed, v, day, year, month)
	}
	return t, nil
}
