package datastore

import (
	"testing"
	"time"

	"github.com/nexproxy/nexproxy/internal/store"
)

// TestLockUntil: when a rating unlocks (services.md §7.7): lock type 1
// after period_duration seconds; 2 at period_hour on the next given
// weekday (-1 Monday ... -7 Sunday; the same weekday a week later) or on
// the first of the next month (-17), across month and year ends; 3 never;
// 0 no lock.
func TestLockUntil(t *testing.T) {
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse("2006-01-02 15:04", s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	wed := at("2026-12-09 10:30") // a Wednesday
	for _, c := range []struct {
		what      string
		lock      uint8
		hour      int8
		duration  int16
		now, want time.Time
	}{
		{"no lock", 0, 0, 60, wed, time.Time{}},
		{"interval", 1, 0, 90, wed, wed.Add(90 * time.Second)},
		{"permanent", 3, 0, 0, wed, forever},
		{"Monday", 2, 4, -1, wed, at("2026-12-14 04:00")},
		{"Tuesday", 2, 23, -2, wed, at("2026-12-15 23:00")},
		{"Wednesday, the same weekday", 2, 12, -3, wed, at("2026-12-16 12:00")},
		{"Thursday", 2, 0, -4, wed, at("2026-12-10 00:00")},
		{"Saturday", 2, 6, -6, wed, at("2026-12-12 06:00")},
		{"Sunday", 2, 4, -7, wed, at("2026-12-13 04:00")},
		{"Sunday across the year end", 2, 4, -7, at("2026-12-31 08:00"), at("2027-01-03 04:00")},
		{"first of next month", 2, 4, -17, wed, at("2027-01-01 04:00")},
		{"first of next month, on the first", 2, 4, -17, at("2027-01-01 01:00"), at("2027-02-01 04:00")},
		{"first of next month from the 31st", 2, 0, -17, at("2027-01-31 23:59"), at("2027-02-01 00:00")},
	} {
		r := store.DataRating{LockType: c.lock, PeriodHour: c.hour, PeriodDuration: c.duration}
		if got := lockUntil(&r, c.now); !got.Equal(c.want) {
			t.Errorf("%s: lockUntil(%s) = %v, want %v", c.what, c.now.Format(time.DateTime), got, c.want)
		}
	}
}
