package prudp

import (
	"bytes"
	"context"
	"errors"
	"net"
	"runtime"
	"testing"
	"time"
)

// udpSink is a loopback UDP socket that reads (and counts) what it gets
// until closed.
func udpSink(tb testing.TB) (*net.UDPConn, <-chan int) {
	tb.Helper()
	sink, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		tb.Fatal(err)
	}
	_ = sink.SetReadBuffer(8 << 20)
	got := make(chan int, 1)
	go func() {
		n := 0
		buf := make([]byte, 2048)
		for {
			if _, _, err := sink.ReadFromUDPAddrPort(buf); err != nil {
				got <- n
				return
			}
			n++
		}
	}()
	return sink, got
}

// A dialled connection's socket is connected to its server: what it
// writes arrives from its local address, what it reads comes from the
// server, and a write to anyone else is refused.
func TestConnectedUDPCarrier(t *testing.T) {
	srv, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	u, peer, err := dialUDPCarrier("udp", srv.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	if peer != srv.LocalAddr().(*net.UDPAddr).AddrPort() {
		t.Fatalf("peer %s, want %s", peer, srv.LocalAddr())
	}
	if err := u.WriteTo([]byte("ping"), peer); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	_ = srv.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, from, err := srv.ReadFromUDPAddrPort(buf)
	if err != nil || string(buf[:n]) != "ping" {
		t.Fatalf("server read %q, %v", buf[:n], err)
	}
	if from.Port() != u.LocalAddr().(*net.UDPAddr).AddrPort().Port() {
		t.Fatalf("datagram from %s, carrier on %s", from, u.LocalAddr())
	}
	if _, err := srv.WriteToUDPAddrPort([]byte("pong"), from); err != nil {
		t.Fatal(err)
	}
	n, got, err := u.ReadFrom(buf)
	if err != nil || !bytes.Equal(buf[:n], []byte("pong")) || got != peer {
		t.Fatalf("carrier read %q from %s, %v", buf[:n], got, err)
	}
	other, _ := udpSink(t)
	defer other.Close()
	if err := u.WriteTo([]byte("x"), other.LocalAddr().(*net.UDPAddr).AddrPort()); err == nil {
		t.Fatal("write to another address accepted")
	}
	_ = u.Close()
	if _, _, err := u.ReadFrom(buf); !errors.Is(err, ErrCarrierClosed) {
		t.Fatalf("read after close: %v, want ErrCarrierClosed", err)
	}
}

// A dialled connection survives the ICMP errors its connected socket
// reports while the server is not up yet: Dial keeps resending its SYN
// and connects once the server listens.
func TestDialConnectedBeforeServerListens(t *testing.T) {
	probe, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	addr := probe.LocalAddr().String()
	_ = probe.Close() // the port is closed: the first SYNs draw ICMP errors
	s := WiiU()
	s.AccessKey = "76f26496"
	s.ResendTimeout = 100 * time.Millisecond
	s.ResendFloor = 50 * time.Millisecond
	s.ResendLimit = 40
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	started := make(chan *Listener, 1)
	accepted := make(chan *Conn, 1)
	go func() {
		time.Sleep(300 * time.Millisecond)
		l, err := Listen(ctx, addr, ListenConfig{Games: []Settings{s}})
		if err != nil {
			t.Error(err)
			started <- nil
			accepted <- nil
			return
		}
		started <- l
		c, _ := l.Accept(ctx)
		accepted <- c
	}()
	c, err := Dial(ctx, "udp", addr, DialConfig{Settings: s})
	l := <-started
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	if sc := <-accepted; sc != nil {
		defer sc.Close()
	}
	_ = c.Close()
	if l != nil {
		_ = l.Close()
	}
}

// BenchmarkDialledUDPWrite: one goroutine writing small datagrams to one
// server, on a socket connected to it (as Dial opens) or on an
// unconnected one (sendto with the address each time). cpu-ns/op is the
// writing thread's CPU time (Linux), steadier than ns/op on a shared
// machine.
func BenchmarkDialledUDPWrite(b *testing.B) {
	for _, mode := range []string{"unconnected", "connected"} {
		b.Run(mode, func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			sink, got := udpSink(b)
			ra := sink.LocalAddr().(*net.UDPAddr)
			var c Carrier
			if mode == "connected" {
				u, _, err := dialUDPCarrier("udp", ra)
				if err != nil {
					b.Fatal(err)
				}
				c = u
			} else {
				uc, err := net.ListenUDP("udp", nil)
				if err != nil {
					b.Fatal(err)
				}
				c = NewUDPCarrier(uc)
			}
			to := ra.AddrPort()
			msg := make([]byte, 100)
			cpu := threadCPU()
			for b.Loop() {
				_ = c.WriteTo(msg, to)
			}
			b.StopTimer()
			if cpu := threadCPU() - cpu; cpu > 0 {
				b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
			}
			_ = c.Close()
			_ = sink.Close()
			<-got
		})
	}
}
