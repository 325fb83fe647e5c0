package proxy

import (
	"context"
	"testing"
	"time"

	"github.com/nexproxy/nexproxy/proxy/config"
	"github.com/nexproxy/nexproxy/prudp"
)

// An upstream leg holds acknowledgements longer than a console leg by
// default (the next packet upstream is the console's next request), keeps
// a configured coalesce_delay, and holds nothing where coalescing is off.
func TestUpstreamCoalesceDelay(t *testing.T) {
	for _, tc := range []struct {
		name     string
		coalesce bool
		delay    time.Duration
		want     time.Duration
	}{
		{"default", true, 0, upstreamCoalesceDelay},
		{"configured", true, 3 * time.Millisecond, 3 * time.Millisecond},
		{"off", false, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := prudp.WiiU()
			s.AccessKey = "76f26496"
			s.CoalesceAcks, s.CoalesceDelay = tc.coalesce, tc.delay
			g := &game{cfg: &config.Game{PRUDP: s}}
			got := g.upstreamSettings(consoleConn(t, s, s))
			if got.CoalesceDelay != tc.want || got.CoalesceAcks != tc.coalesce {
				t.Fatalf("upstream coalesce_acks %v, delay %v; want %v, %v", got.CoalesceAcks, got.CoalesceDelay, tc.coalesce, tc.want)
			}
			if err := got.Validate(); err != nil {
				t.Fatalf("upstream settings invalid: %v", err)
			}
		})
	}
}

// consoleConn is the listener's side of a connection from a console with
// profile console to a listener of game, over an in-memory network.
func consoleConn(t *testing.T, game, console prudp.Settings) *prudp.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n := prudp.NewMemNetwork(1, prudp.Impairment{})
	lc, err := n.Listen("10.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	l, err := prudp.ListenCarrier(ctx, lc, prudp.ListenConfig{Games: []prudp.Settings{game}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	cc, err := n.Listen("10.0.0.2:2")
	if err != nil {
		t.Fatal(err)
	}
	cli, err := prudp.DialCarrier(ctx, cc, lc.LocalAddr(), prudp.DialConfig{Settings: console})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cli.Abort)
	srv, err := l.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

// A console of the game's other UDP format is proxied in its own: the
// upstream connection speaks what the console spoke, with that format's
// fields and the minor version the console negotiated.
func TestUpstreamSettingsFollowConsoleVariant(t *testing.T) {
	const key = "876138df"
	v0 := prudp.ThreeDS()
	v0.AccessKey = key
	v1 := prudp.WiiU()
	v1.AccessKey = key
	v1.MinorVersion = 3
	for _, tc := range []struct {
		name          string
		game, console prudp.Settings
	}{
		{"v0 game, v1 console", v0, v1},
		{"v1 game, v0 console", v1, v0},
		{"v1 game, v1 console", v1, v1},
		{"v0 game, v0 console", v0, v0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := &game{cfg: &config.Game{PRUDP: tc.game}}
			got := g.upstreamSettings(consoleConn(t, tc.game, tc.console))
			if got.Variant != tc.console.Variant || got.AccessKey != key || got.FragmentSize != tc.game.FragmentSize {
				t.Fatalf("upstream profile %s/%s fragment size %d; want %s/%s %d", got.Variant, got.AccessKey, got.FragmentSize, tc.console.Variant, key, tc.game.FragmentSize)
			}
			if tc.console.Variant == prudp.V1 && got.MinorVersion != 3 {
				t.Errorf("upstream offers minor version %d, the console negotiated 3", got.MinorVersion)
			}
			if err := got.Validate(); err != nil {
				t.Fatalf("upstream settings invalid: %v", err)
			}
		})
	}
}
