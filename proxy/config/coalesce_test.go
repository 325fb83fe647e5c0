package config

import (
	"strings"
	"testing"
	"time"
)

// coalesceGame is a one-game configuration with [games.prudp] extra.
func coalesceGame(platform, extra string) string {
	return `advertise = "127.0.0.1"
[[games]]
name = "g"
platform = "` + platform + `"
access_key = "0badf00d"
auth_listen = ":60000"
upstream = "local"
[games.prudp]
` + extra
}

// TestCoalesceDefaults: acknowledgements share datagrams by default on v1
// and Lite and not on v0 (or Rendez-Vous), also when a variant override
// changes a preset's variant; coalesce_acks and coalesce_delay override.
func TestCoalesceDefaults(t *testing.T) {
	cases := []struct {
		platform, extra string
		want            bool
		delay           time.Duration
	}{
		{"wiiu", "", true, 0},
		{"switch", "", true, 0},
		{"3ds", "", false, 0},
		{"friends", "", false, 0},
		{"wiiu", `variant = "v0"` + "\nmax_substream_id = 0\n", false, 0},
		{"wiiu", `variant = "rv"` + "\nmax_substream_id = 0\n", false, 0},
		{"3ds", `variant = "v1"`, true, 0},
		{"3ds", "coalesce_acks = true", true, 0},
		{"wiiu", "coalesce_acks = false", false, 0},
		{"wiiu", `variant = "v0"` + "\nmax_substream_id = 0\ncoalesce_acks = true\n", true, 0},
		{"wiiu", `coalesce_delay = "5ms"`, true, 5 * time.Millisecond},
	}
	for _, tc := range cases {
		cfg, err := LoadTOML(coalesceGame(tc.platform, tc.extra))
		if err != nil {
			t.Errorf("%s %q: %v", tc.platform, tc.extra, err)
			continue
		}
		s := cfg.Games[0].PRUDP
		if s.CoalesceAcks != tc.want || s.CoalesceDelay != tc.delay {
			t.Errorf("%s %q: coalesce_acks %v, delay %s; want %v, %s", tc.platform, tc.extra, s.CoalesceAcks, s.CoalesceDelay, tc.want, tc.delay)
		}
	}
	_, err := LoadTOML(coalesceGame("wiiu", `coalesce_delay = "50ms"`))
	if err == nil || !strings.Contains(err.Error(), "coalesce_delay") {
		t.Errorf("a 50ms hold: %v", err)
	}
}
