package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// A call costs at least four datagrams (request, its acknowledgement, the
// answer, its acknowledgement) without coalescing; a UDP echo reply costs
// two. So half the echo replies/s a machine manages on loopback is the
// calls/s one server could reach if it did nothing but move datagrams: the
// bench prints calls/s as a fraction of it, which compares across
// machines where raw calls/s do not.

// echoDepth is how many datagrams each echo client keeps in flight, so
// that the echo server, not the clients' wake-ups, is the limit.
const echoDepth = 4

// echoPayload is the size of one echo datagram, about a small call's.
const echoPayload = 64

// echoResult is what one echo run measured.
type echoResult struct {
	replies int
	elapsed time.Duration
}

func (e echoResult) perSec() float64 { return perSec(e.replies, e.elapsed) }

// callCeiling is the calls/s the echo rate allows: replies/s ÷ 2.
func (e echoResult) callCeiling() float64 { return e.perSec() / 2 }

// runEcho measures the machine's loopback UDP echo: one server socket
// answering every datagram from one goroutine (as a listener does),
// clients sockets with echoDepth datagrams in flight each, for d.
func runEcho(ctx context.Context, clients int, d time.Duration) (echoResult, error) {
	srv, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return echoResult{}, fmt.Errorf("echo server: %w", err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		buf := make([]byte, 2048)
		for {
			n, from, err := srv.ReadFromUDPAddrPort(buf)
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				continue
			}
			_, _ = srv.WriteToUDPAddrPort(buf[:n], from)
		}
	}()
	defer func() {
		_ = srv.Close()
		wg.Wait()
	}()
	to := srv.LocalAddr().(*net.UDPAddr).AddrPort()
	conns := make([]*net.UDPConn, 0, clients)
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	for range clients {
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			return echoResult{}, fmt.Errorf("echo client: %w", err)
		}
		conns = append(conns, c)
	}
	var replies atomic.Int64
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	start := time.Now()
	var cwg sync.WaitGroup
	for _, c := range conns {
		cwg.Add(1)
		go func() {
			defer cwg.Done()
			msg := make([]byte, echoPayload)
			buf := make([]byte, 2048)
			for range echoDepth {
				_, _ = c.WriteToUDPAddrPort(msg, to)
			}
			for {
				// A lost datagram would stall this client: the deadline
				// ends the wait, and the next one refills the pipe.
				_ = c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
				if _, _, err := c.ReadFromUDPAddrPort(buf); err == nil {
					replies.Add(1)
				}
				if ctx.Err() != nil {
					return
				}
				_, _ = c.WriteToUDPAddrPort(msg, to)
			}
		}()
	}
	<-ctx.Done()
	elapsed := time.Since(start)
	n := replies.Load()
	cwg.Wait()
	return echoResult{replies: int(n), elapsed: elapsed}, nil
}

// printEcho writes the echo line.
func printEcho(out io.Writer, e echoResult, clients int) {
	fmt.Fprintf(out, "UDP echo on loopback: %.0f replies/s (%d clients, %d in flight each): ceiling %.0f calls/s at 4 datagrams per call\n",
		e.perSec(), clients, echoDepth, e.callCeiling())
}

// echoFraction is calls/s as a fraction of the echo ceiling (0: none).
func echoFraction(r *loadResult, e echoResult) float64 {
	if e.callCeiling() == 0 {
		return 0
	}
	return r.callsPerSec() / e.callCeiling()
}
