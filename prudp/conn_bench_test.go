package prudp

import (
	"context"
	"sort"
	"testing"
	"time"
)

// Benchmarks of a connection over real loopback UDP, with the platform
// defaults (window 4, pacing on, one ACK per packet: what a console-facing
// connection runs with) and with a profile tuned for throughput.

func defaultPair(b *testing.B) (*Listener, *Conn, *Conn) { return defaultPairWith(b, nil) }

// tunedPair uses a large window, no pacing and aggregate acknowledgements.
func tunedPair(b *testing.B) (*Listener, *Conn, *Conn) {
	return defaultPairWith(b, func(s *Settings) {
		s.Window = 256
		s.PaceInterval = 0
		s.AggregateAck = true
		s.ResendLimit = 20
	})
}

// BenchmarkThroughput: reliable 200-byte messages Dial→Listen, tuned.
func BenchmarkThroughput(b *testing.B) {
	l, cli, srv := tunedPair(b)
	defer closeAll(l, cli, srv)
	benchStream(b, cli, srv)
}

// BenchmarkRoundTrip: request/response pairs, tuned; reports the median.
func BenchmarkRoundTrip(b *testing.B) {
	l, cli, srv := tunedPair(b)
	defer closeAll(l, cli, srv)
	benchEcho(b, cli, srv)
}

func defaultPairWith(b *testing.B, edit func(*Settings)) (*Listener, *Conn, *Conn) {
	s := WiiU()
	s.AccessKey = "25dbf96a"
	if edit != nil {
		edit(&s)
	}
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

// BenchmarkThroughputDefault: a stream of reliable 200-byte messages
// Dial→Listen over UDP with the Wii U defaults.
func BenchmarkThroughputDefault(b *testing.B) {
	l, cli, srv := defaultPair(b)
	defer closeAll(l, cli, srv)
	benchStream(b, cli, srv)
}

// BenchmarkRoundTripDefault: request/response pairs with the Wii U
// defaults; reports the median.
func BenchmarkRoundTripDefault(b *testing.B) {
	l, cli, srv := defaultPair(b)
	defer closeAll(l, cli, srv)
	benchEcho(b, cli, srv)
}

func benchStream(b *testing.B, cli, srv *Conn) {
	ctx := context.Background()
	msg := testMessage(1, 200)
	done := make(chan error, 1)
	b.SetBytes(200)
	b.ReportAllocs()
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
}

func benchEcho(b *testing.B, cli, srv *Conn) {
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
	b.ReportAllocs()
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

// BenchmarkThroughputAggregate: the defaults plus MULTI_ACK.
func BenchmarkThroughputAggregate(b *testing.B) {
	l, cli, srv := defaultPairWith(b, func(s *Settings) { s.AggregateAck = true })
	defer closeAll(l, cli, srv)
	benchStream(b, cli, srv)
}
