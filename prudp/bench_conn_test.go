package prudp

import (
	"context"
	"sort"
	"testing"
	"time"
)

// benchPair connects over real loopback UDP with a profile tuned for
// throughput (large window, no pacing, aggregate acknowledgements).
func benchPair(b *testing.B) (*Listener, *Conn, *Conn) {
	s := WiiU()
	s.AccessKey = "25dbf96a"
	s.Window = 256
	s.PaceInterval = 0
	s.AggregateAck = true
	s.ResendLimit = 20
	ctx := context.Background()
	l, err := Listen(ctx, "127.0.0.1:0", ListenConfig{Games: []Settings{s}})
	if err != nil {
		b.Fatal(err)
	}
	acc := make(chan *Conn, 1)
	go func() { c, _ := l.Accept(ctx); acc <- c }()
	cli, err := Dial(ctx, "udp", l.Addr().String(), DialConfig{Settings: s})
	if err != nil {
		b.Fatal(err)
	}
	return l, cli, <-acc
}

// BenchmarkThroughput: reliable 200-byte messages Dial→Listen over UDP.
func BenchmarkThroughput(b *testing.B) {
	l, cli, srv := benchPair(b)
	defer closeAll(l, cli, srv)
	ctx := context.Background()
	msg := testMessage(1, 200)
	done := make(chan error, 1)
	b.SetBytes(200)
	b.ResetTimer()
	start := time.Now()
	go func() {
		for range b.N {
			if _, err := srv.Recv(ctx); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for range b.N {
		if err := cli.Send(ctx, 0, msg); err != nil {
			b.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msg/s")
	b.ReportMetric(float64(cli.Stats().Resent), "resent")
	b.ReportMetric(float64(srv.Stats().Dropped), "dropped")
}

// BenchmarkRoundTrip: request/response pairs; reports the median.
func BenchmarkRoundTrip(b *testing.B) {
	l, cli, srv := benchPair(b)
	defer closeAll(l, cli, srv)
	ctx := context.Background()
	go func() {
		for {
			m, err := srv.Recv(ctx)
			if err != nil {
				return
			}
			if srv.Send(ctx, 0, m.Data) != nil {
				return
			}
		}
	}()
	msg := testMessage(2, 100)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		if err := cli.Send(ctx, 0, msg); err != nil {
			b.Fatal(err)
		}
		if _, err := cli.Recv(ctx); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "median-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}
