package prudp

import (
	"errors"
	"net/netip"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// A connection's debug lines name it (conn and remote) although it keeps
// the logger it was given rather than a child of its own.
func TestConnLogLinesNameTheConnection(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	log := zap.New(core)
	s := WiiU()
	s.AccessKey = "25dbf96a"
	codec, err := NewCodec(&s)
	if err != nil {
		t.Fatal(err)
	}
	remote := netip.MustParseAddrPort("192.0.2.7:5000")
	c := newConn(roleServer, &s, codec, nil, remote, VPort{Port: 1}, VPort{Port: 15}, log)
	defer c.timer.Stop()
	if c.log != log {
		t.Error("the connection made its own child logger: every connection would copy the encoder")
	}
	c.debug("prudp: test line", zap.Error(errors.New("boom")))
	c.dropLocked(&Packet{Type: TypeData}, "test reason", nil)
	entries := logs.All()
	if len(entries) != 2 {
		t.Fatalf("got %d log lines, want 2", len(entries))
	}
	for _, e := range entries {
		m := e.ContextMap()
		if m["conn"] != c.id || m["remote"] != "192.0.2.7:5000" {
			t.Errorf("%q: fields %v, want conn %d and remote 192.0.2.7:5000", e.Message, m, c.id)
		}
	}
	if got := entries[1].ContextMap()["reason"]; got != "test reason" {
		t.Errorf("drop line reason = %v", got)
	}
}
