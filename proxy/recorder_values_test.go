package proxy

import (
	"net/netip"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/proxy/record"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/rpc"
	"github.com/nexproxy/nexproxy/rmc/schema"
)

// callSink keeps the last call event; wants answers WantsValues when set.
type callSink struct {
	wants *bool
	last  *record.CallEvent
}

func (c *callSink) Connect(*rpc.Session, string)             {}
func (c *callSink) Login(*rpc.Session, uint64, string)       {}
func (c *callSink) Call(_ *rpc.Session, e *record.CallEvent) { c.last = e }
func (c *callSink) Disconnect(*rpc.Session, error)           {}

type valueSink struct{ *callSink }

func (v valueSink) WantsValues() bool { return *v.wants }

// TestRecorderDecodesOnlyForReaders: calls are decoded for recorders that
// read values (or cannot tell), not for those that say they do not; a
// fan-out decodes when any member reads them.
func TestRecorderDecodesOnlyForReaders(t *testing.T) {
	no, yes := false, true
	plain := &callSink{}
	quiet := valueSink{&callSink{wants: &no}}
	reader := valueSink{&callSink{wants: &yes}}
	cases := []struct {
		name   string
		r      record.Recorder
		sink   *callSink
		values bool
	}{
		{"plain recorder", plain, plain, true},
		{"says no", quiet, quiet.callSink, false},
		{"says yes", reader, reader.callSink, true},
		{"zap and quiet", record.Multi(record.Zap(zap.NewNop()), quiet), quiet.callSink, false},
		{"quiet and plain", record.Multi(quiet, plain), plain, true},
		{"file recorder without logs", record.Multi(record.NewFile(record.FileOptions{}), quiet), quiet.callSink, false},
	}
	sess := rpc.NewSession("1", "", rpc.LegAuth, netip.AddrPort{}, rmc.Settings{NEXVersion: 30504})
	// SecureConnection.TestConnectivity: no parameters, no return values.
	c := &rpc.Call{Session: sess, Protocol: 11, Method: 5, CallID: 7}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := newRecorder(tc.r, schema.Default(), nil)
			rec.call(sess, rpc.ToServer, c, &rpc.Reply{Body: []byte{}}, nil, time.Now(), nil)
			e := tc.sink.last
			if e == nil {
				t.Fatal("no call recorded")
			}
			if got := e.Request != nil && e.Response != nil; got != tc.values {
				t.Errorf("decoded %v (request %v, response %v), want %v", got, e.Request, e.Response, tc.values)
			}
			if e.MethodName != "TestConnectivity" {
				t.Errorf("method name %q", e.MethodName)
			}
		})
	}
}

// filterSink is a callSink that reads calls only while wanting is true.
type filterSink struct {
	*callSink
	wanting bool
}

func (f *filterSink) WantsCalls() bool { return f.wanting }

// TestRecorderSkipsCallsNobodyReads: no call event is built while the
// recorder says it reads no calls (the process log above debug level, or
// a filter that says so); one that cannot tell, or a fan-out with any
// member that reads them, gets every call.
func TestRecorderSkipsCallsNobodyReads(t *testing.T) {
	sess := rpc.NewSession("1", "", rpc.LegAuth, netip.AddrPort{}, rmc.Settings{NEXVersion: 30504})
	c := &rpc.Call{Session: sess, Protocol: 11, Method: 5, CallID: 7}
	call := func(r record.Recorder) {
		newRecorder(r, schema.Default(), nil).call(sess, rpc.ToServer, c, &rpc.Reply{Body: []byte{}}, nil, time.Now(), nil)
	}

	f := &filterSink{callSink: &callSink{}}
	call(f)
	if f.last != nil {
		t.Error("a filter that reads no calls got one")
	}
	f.wanting = true
	call(f)
	if f.last == nil {
		t.Error("a filter that reads calls got none")
	}

	plain := &callSink{}
	call(record.Multi(record.Zap(zap.NewNop()), plain))
	if plain.last == nil {
		t.Error("a recorder beside a quiet log got no call")
	}

	if record.WantsCalls(record.Zap(zap.NewNop())) || record.WantsCalls(nil) {
		t.Error("a log above debug level, or no recorder, reads calls")
	}
	if !record.WantsCalls(record.Zap(zap.NewExample())) {
		t.Error("a debug log does not read calls")
	}
	silent := &filterSink{callSink: &callSink{}}
	if record.WantsCalls(record.Multi(record.Zap(zap.NewNop()), silent)) {
		t.Error("a fan-out of members that read no calls reads them")
	}
}
