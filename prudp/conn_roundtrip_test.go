package prudp

import (
	"context"
	"testing"
	"testing/synctest"
	"time"
)

func variantProfiles() map[string]Settings {
	m := map[string]Settings{}
	v0 := ThreeDS()
	v0.AccessKey = "6181dff1"
	m["v0"] = v0
	f0 := v0
	f0.FlagsVersion = 0
	m["v0-flags0"] = f0
	c4 := v0
	c4.ChecksumSize = 4
	m["v0-checksum4"] = c4
	f0c4 := f0
	f0c4.ChecksumSize = 4
	m["v0-flags0-checksum4"] = f0c4
	m["friends"] = Friends()
	for minor := uint8(0); minor <= 4; minor++ {
		s := WiiU()
		s.AccessKey = "25dbf96a"
		s.MinorVersion = minor
		s.AggregateAck = true
		s.MaxSubstream = 1
		m["v1-minor"+string('0'+minor)] = s
	}
	plain := WiiU()
	plain.AccessKey = "25dbf96a"
	m["v1-individual-ack"] = plain
	lite := Switch()
	lite.AccessKey = "fdf6617f"
	m["lite"] = lite
	la := lite
	la.AggregateAck = true
	m["lite-aggregate"] = la
	rv := ThreeDS()
	rv.Variant = RV
	rv.AccessKey = "yh64s"
	rv.FlagsVersion = 0
	rv.ChecksumSize = 4
	m["rv"] = rv
	return m
}

func TestRoundTripVariants(t *testing.T) {
	sizes := []int{1, 2, 200, 961, 962, 963, 1299, 1300, 1301, 2600, 5000, 20000, 65536}
	for name, s := range variantProfiles() {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx := context.Background()
				tn := newTestNet(t, 1, Impairment{Delay: time.Millisecond}, ListenConfig{Games: []Settings{s}})
				cli, srv, err := tn.dial(ctx, DialConfig{Settings: s})
				if err != nil {
					t.Fatal(err)
				}
				var msgs [][]byte
				for i, n := range sizes {
					msgs = append(msgs, testMessage(i, n))
				}
				subs := []uint8{0}
				if s.MaxSubstream > 0 {
					subs = append(subs, 1)
				}
				for _, sub := range subs {
					if err := exchange(ctx, cli, srv, sub, msgs); err != nil {
						t.Fatalf("client->server sub %d: %v", sub, err)
					}
					if err := exchange(ctx, srv, cli, sub, msgs); err != nil {
						t.Fatalf("server->client sub %d: %v", sub, err)
					}
				}
				closeAll(tn.l, cli, srv)
			})
		})
	}
}
