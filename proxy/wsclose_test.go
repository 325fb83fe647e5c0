package proxy_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/nexproxy/nexproxy/proxy/record"
	"github.com/nexproxy/nexproxy/prudp"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// discRecorder reports every Disconnect's cause.
type discRecorder struct{ discs chan error }

func (d *discRecorder) Connect(*rpc.Session, string)         {}
func (d *discRecorder) Login(*rpc.Session, uint64, string)   {}
func (d *discRecorder) Call(*rpc.Session, *record.CallEvent) {}
func (d *discRecorder) Disconnect(_ *rpc.Session, err error) { d.discs <- err }
func newDiscRecorder() *discRecorder                         { return &discRecorder{discs: make(chan error, 8)} }
func (d *discRecorder) wait(t *testing.T, who string) (err error) {
	t.Helper()
	select {
	case err = <-d.discs:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: no disconnect", who)
	}
	return err
}

// TestSwitchWebSocketCloseEndsUpstream: a Switch console whose WebSocket
// closes (no PRUDP DISCONNECT) ends its session at once, and nexproxy
// disconnects the upstream connection with it.
func TestSwitchWebSocketCloseEndsUpstream(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, runs after every other cleanup
	upRec, frontRec := newDiscRecorder(), newDiscRecorder()
	up, _ := startServer(t, testGame{platform: "switch", upstream: "local", accounts: true, tlsDir: writeCert(t)}, upRec)
	defer up.Close()
	front, cfg := startServer(t, testGame{platform: "switch", upstream: upstreamAddr(up)}, frontRec)
	defer front.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	car, remote, err := prudp.DialWebSocketCarrier(ctx, front.AuthAddr("g").String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	console, err := prudp.DialCarrier(ctx, car, net.UDPAddrFromAddrPort(remote), prudp.DialConfig{
		Settings: cfg.Games[0].PRUDP, Remote: prudp.VPort{Type: prudp.StreamRVSecure, Port: 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer console.Close()
	deadline := time.Now().Add(10 * time.Second)
	for up.Stats().Sessions != 1 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if up.Stats().Sessions != 1 {
		t.Fatal("the upstream connection never connected")
	}

	_ = car.Close() // the console's WebSocket goes away
	if err := frontRec.wait(t, "console connection"); !errors.Is(err, prudp.ErrPeerClosed) {
		t.Errorf("console connection ended with %v, want the carrier's ErrPeerClosed", err)
	}
	upRec.wait(t, "upstream connection")
	if n := front.Stats().Sessions; n != 0 {
		t.Errorf("nexproxy still runs %d sessions", n)
	}
}
