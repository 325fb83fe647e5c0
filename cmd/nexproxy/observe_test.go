package main

import (
	"testing"

	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/proxy/config"
	"github.com/nexproxy/nexproxy/proxy/record"
)

// TestObserverRecorderCosts: with session logs and no captures, the
// server's recorder neither asks for every message nor for calls decoded
// on the packet path (the session logs decode on their own goroutine);
// with captures it wants messages.
func TestObserverRecorderCosts(t *testing.T) {
	for _, captures := range []bool{false, true} {
		cfg := &config.Config{}
		cfg.Log.Sessions = t.TempDir()
		cfg.Log.PCAPNG = captures
		o, err := newObserver(zap.NewNop(), cfg, "")
		if err != nil {
			t.Fatal(err)
		}
		rec := o.recorder()
		if _, ok := rec.(record.MessageRecorder); ok != captures {
			t.Errorf("captures %v: the recorder wants every message: %v", captures, ok)
		}
		vr, ok := rec.(record.ValueRecorder)
		if !ok || vr.WantsValues() {
			t.Errorf("captures %v: the recorder wants calls decoded on the packet path", captures)
		}
		if _, ok := rec.(record.ScriptRecorder); !ok {
			t.Errorf("captures %v: the hooks' log lines do not reach the session logs", captures)
		}
		if err := o.close(); err != nil {
			t.Fatal(err)
		}
	}
}
