package proxy

import (
	"net/netip"
	"testing"

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
			rec.call(sess, rpc.ToServer, c, &rpc.Reply{Body: []byte{}}, nil, 0, nil)
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
