package record

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"testing"

	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/nexproxy/nexproxy/proxy/record/sessionlog"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/rpc"
	"github.com/nexproxy/nexproxy/rmc/schema"
)

// TestCallRecordLegs: a record's Leg names where its CallID lives, and
// UpstreamCallID carries the upstream connection's id, for both directions.
func TestCallRecordLegs(t *testing.T) {
	s := &rpc.Session{ID: "7", Game: "g"}
	raw := &schema.Value{Kind: schema.KindRaw, Bytes: []byte{1, 2}}
	cases := []struct {
		e                  CallEvent
		leg, conn, dir     string
		callID, upstreamID uint32
		status             string
	}{
		{CallEvent{Direction: rpc.ToServer, CallID: 3, ForwardedCallID: 9, Handler: HandlerUpstream}, sessionlog.SideConsole, "7", sessionlog.DirConsole, 3, 9, ""},
		{CallEvent{Direction: rpc.ToServer, CallID: 3, Handler: HandlerHook, Dropped: true, Err: rpc.ErrDrop}, sessionlog.SideConsole, "7", sessionlog.DirConsole, 3, 0, "dropped"},
		{CallEvent{Direction: rpc.ToConsole, CallID: 4, ForwardedCallID: 2, Handler: HandlerConsole}, sessionlog.SideConsole, "7", sessionlog.DirServer, 2, 4, ""},
		{CallEvent{Direction: rpc.ToConsole, CallID: 4, Handler: HandlerHook}, sessionlog.SideUpstream, "u7", sessionlog.DirServer, 4, 0, ""},
		{CallEvent{Direction: rpc.ToServer, CallID: 5, Handler: HandlerUpstream, Err: context.DeadlineExceeded, Error: rmc.ResultCoreTimeout}, sessionlog.SideConsole, "7", sessionlog.DirConsole, 5, 0, "timeout"},
		{CallEvent{Direction: rpc.ToServer, CallID: 6, Handler: HandlerUpstream, Err: fmt.Errorf("send: %w", rpc.ErrUpstreamGone), Error: rmc.ResultRendezVousConnectionFailure}, sessionlog.SideConsole, "7", sessionlog.DirConsole, 6, 0, "disconnected"},
	}
	for i, tc := range cases {
		tc.e.ProtocolName, tc.e.MethodName, tc.e.Request = "Protocol(0x7f0)", "Method(1)", raw
		r := callRecord(s, &tc.e)
		if r.Side != tc.leg || r.Conn != tc.conn || r.Dir != tc.dir || r.CallID != tc.callID || r.UpstreamCallID != tc.upstreamID || r.Status != tc.status {
			t.Errorf("case %d: leg %s conn %s dir %s ids %d/%d status %q", i, r.Side, r.Conn, r.Dir, r.CallID, r.UpstreamCallID, r.Status)
		}
		if r.Protocol != "" || r.Method != "" || r.ParamsRaw != "0102" || r.Params != nil {
			t.Errorf("case %d: undescribed call written as %q.%q params %s raw %q", i, r.Protocol, r.Method, r.Params, r.ParamsRaw)
		}
		if tc.e.Error != 0 && (r.ErrorName == "" || uint32(r.Error) != uint32(tc.e.Error)) {
			t.Errorf("case %d: error %s %q", i, r.Error, r.ErrorName)
		}
	}
}

// fullDisk accepts limit bytes, then fails like a full disk.
type fullDisk struct{ limit int }

func (d *fullDisk) Write(p []byte) (int, error) {
	if len(p) > d.limit {
		n := d.limit
		d.limit = 0
		return n, errors.New("no space left on device")
	}
	d.limit -= len(p)
	return len(p), nil
}

func (d *fullDisk) Close() error { return nil }

// TestFileRecorderDiskFull: a session log that stops accepting writes is
// reported once, and recording goes on without it.
func TestFileRecorderDiskFull(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, runs after every other cleanup
	core, logs := observer.New(zapcore.InfoLevel)
	f := NewFile(FileOptions{Dir: t.TempDir(), Logger: zap.New(core)})
	f.openFile = func(string, int, os.FileMode) (io.WriteCloser, error) { return &fullDisk{limit: 400}, nil }
	s := &rpc.Session{ID: "1", Game: "g"}
	f.Connect(s, "")
	for i := range 50 {
		f.Call(s, &CallEvent{Direction: rpc.ToServer, CallID: uint32(i), ProtocolName: "Ranking", MethodName: "UploadScore",
			Request: &schema.Value{Kind: schema.KindRaw, Bytes: make([]byte, 32)}})
		if i%10 == 0 {
			f.sync() // several batches, each failing
		}
	}
	f.Login(s, 5, ModeLocal)
	f.Disconnect(s, nil)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if n := logs.FilterMessageSnippet("session log write failed").Len(); n != 1 {
		t.Errorf("%d write failure reports, want 1; all: %v", n, logs.All())
	}
	if n := logs.Len(); n != 1 {
		t.Errorf("%d log lines, want 1: %v", n, logs.All())
	}
	if f.Dropped() != 0 {
		t.Errorf("%d records dropped", f.Dropped())
	}
}
