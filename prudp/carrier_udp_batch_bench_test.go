package prudp

import (
	"net"
	"testing"
)

// BenchmarkUDPCarrierWrite: many goroutines writing small datagrams to one
// socket, one sendto each (plain) or batched while another write is in
// its system call (batch). A reader drains the peer socket.
func BenchmarkUDPCarrierWrite(b *testing.B) {
	for _, mode := range []string{"plain", "batch"} {
		b.Run(mode, func(b *testing.B) {
			u := benchCarrier(b, mode == "batch", "w", 0)
			sink, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				b.Fatal(err)
			}
			_ = sink.SetReadBuffer(8 << 20)
			to := sink.LocalAddr().(*net.UDPAddr).AddrPort()
			done := make(chan struct{})
			go func() {
				defer close(done)
				buf := make([]byte, 2048)
				for {
					if _, _, err := sink.ReadFromUDPAddrPort(buf); err != nil {
						return
					}
				}
			}()
			msg := make([]byte, 100)
			b.SetParallelism(4)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					_ = u.WriteTo(msg, to)
				}
			})
			b.StopTimer()
			_ = u.Close()
			_ = sink.Close()
			<-done
			if u.batch != nil {
				st := u.batch.stats
				b.ReportMetric(float64(st.queued)/float64(max(1, st.batches)), "datagrams/batch")
				b.ReportMetric(float64(st.direct+st.batches)/float64(b.N), "writes/datagram")
			}
		})
	}
}

// BenchmarkUDPCarrierRead: a flood of small datagrams read one system
// call each (plain) or up to udpBatchMax per recvmmsg (batch).
func BenchmarkUDPCarrierRead(b *testing.B) {
	for _, mode := range []string{"plain", "batch"} {
		b.Run(mode, func(b *testing.B) {
			u := benchCarrier(b, mode == "batch", "r", 2048)
			src, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				b.Fatal(err)
			}
			to := u.c.LocalAddr().(*net.UDPAddr).AddrPort()
			stop := make(chan struct{})
			done := make(chan struct{})
			go func() {
				defer close(done)
				msg := make([]byte, 100)
				for {
					select {
					case <-stop:
						return
					default:
					}
					_, _ = src.WriteToUDPAddrPort(msg, to)
				}
			}()
			buf := make([]byte, 2048)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if _, _, err := u.ReadFrom(buf); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			close(stop)
			<-done
			_ = src.Close()
			_ = u.Close()
		})
	}
}

// benchCarrier listens on loopback; with batch, with the batching named
// (udpBatching's "w" or "r") and readBuf.
func benchCarrier(b *testing.B, batch bool, batching string, readBuf int) *udpCarrier {
	b.Helper()
	c, err := ListenUDP("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	u := c.(*udpCarrier)
	if batch {
		old := udpBatching
		udpBatching = batching
		u.enableBatching(readBuf)
		udpBatching = old
	}
	return u
}
