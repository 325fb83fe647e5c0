package kerberos

import (
	"fmt"
	"time"
)

// The ticket issue time is a NEX DateTime: calendar fields packed as
// sec | min<<6 | hour<<12 | day<<17 | month<<22 | year<<26, in UTC with
// one-second resolution. The rmc package has the full type; this package
// keeps its own two conversions to stay free of that dependency.

// dateTimeOf packs t (converted to UTC) into a DateTime.
func dateTimeOf(t time.Time) uint64 {
	t = t.UTC()
	return uint64(t.Second()) |
		uint64(t.Minute())<<6 |
		uint64(t.Hour())<<12 |
		uint64(t.Day())<<17 |
		uint64(t.Month())<<22 |
		uint64(t.Year())<<26
}

// timeOfDateTime unpacks v, refusing fields that name no real instant
// (month 13, 31 February, ...) so that a decoded time always re-encodes
// to the same bits.
func timeOfDateTime(v uint64) (time.Time, error) {
	sec := int(v & 63)
	minute := int(v >> 6 & 63)
	hour := int(v >> 12 & 31)
	day := int(v >> 17 & 31)
	month := int(v >> 22 & 15)
	year := v >> 26
	if year < 1 || year > 9999 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, fmt.Errorf("%w: DateTime %#x is not a calendar time", ErrMalformed, v)
	}
	t := time.Date(int(year), time.Month(month), day, hour, minute, sec, 0, time.UTC)
	if t.Day() != day {
		return time.Time{}, fmt.Errorf("%w: DateTime %#x: day %d does not exist in %d-%02d", ErrMalformed, v, day, year, month)
	}
	return t, nil
}
