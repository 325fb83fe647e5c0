package rmc

import (
	"strconv"
	"time"
)

// DateTime is a NEX calendar date packed into a u64 (rmc.md §4.4): not a
// Unix time, and written in UTC by servers. The accessors return the raw bit
// fields, which hostile input may set out of range; Time normalises them.
type DateTime uint64

// Special DateTime values.
const (
	// Never is the zero value, used for "no date".
	Never DateTime = 0
	// Future is 9999-12-31 23:59:59, used for "no expiry".
	Future DateTime = 0x9C3F3F7EFB
)

// NewDateTime packs calendar fields without validating them.
func NewDateTime(year, month, day, hour, minute, second int) DateTime {
	return DateTime(uint64(second)&0x3F |
		(uint64(minute)&0x3F)<<6 |
		(uint64(hour)&0x1F)<<12 |
		(uint64(day)&0x1F)<<17 |
		(uint64(month)&0xF)<<22 |
		uint64(year)<<26)
}

// DateTimeFromTime converts t (in any zone) to its UTC calendar fields.
// Years before 0 cannot be represented and give Never.
func DateTimeFromTime(t time.Time) DateTime {
	t = t.UTC()
	if t.Year() < 0 {
		return Never
	}
	return NewDateTime(t.Year(), int(t.Month()), t.Day(), t.Hour(), t.Minute(), t.Second())
}

// Now returns the current UTC time as a DateTime (what servers write).
func Now() DateTime { return DateTimeFromTime(time.Now()) }

// Year returns bits 63-26.
func (d DateTime) Year() int { return int(d >> 26) }

// Month returns bits 25-22 (1-12 when valid).
func (d DateTime) Month() int { return int(d>>22) & 0xF }

// Day returns bits 21-17.
func (d DateTime) Day() int { return int(d>>17) & 0x1F }

// Hour returns bits 16-12.
func (d DateTime) Hour() int { return int(d>>12) & 0x1F }

// Minute returns bits 11-6.
func (d DateTime) Minute() int { return int(d>>6) & 0x3F }

// Second returns bits 5-0.
func (d DateTime) Second() int { return int(d) & 0x3F }

// Time converts to a UTC time.Time; out-of-range fields are normalised the
// way time.Date does it (Never becomes a date in year -1).
func (d DateTime) Time() time.Time {
	return time.Date(d.Year(), time.Month(d.Month()), d.Day(), d.Hour(), d.Minute(), d.Second(), 0, time.UTC)
}

// String prints the raw fields as "YYYY-MM-DD hh:mm:ss" so that even an
// invalid date shows what is on the wire. It avoids fmt because the schema
// package prints every DateTime of a logged call through it.
func (d DateTime) String() string {
	b := make([]byte, 0, 19)
	b = appendPadded(b, d.Year(), 4)
	b = appendPadded(append(b, '-'), d.Month(), 2)
	b = appendPadded(append(b, '-'), d.Day(), 2)
	b = appendPadded(append(b, ' '), d.Hour(), 2)
	b = appendPadded(append(b, ':'), d.Minute(), 2)
	b = appendPadded(append(b, ':'), d.Second(), 2)
	return string(b)
}

// appendPadded appends the non-negative n with leading zeros to width digits.
func appendPadded(b []byte, n, width int) []byte {
	for p, i := 10, 1; i < width; p, i = p*10, i+1 {
		if n < p {
			b = append(b, '0')
		}
	}
	return strconv.AppendInt(b, int64(n), 10)
}
