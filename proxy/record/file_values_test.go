package record

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"

	"github.com/nexproxy/nexproxy/proxy/record/sessionlog"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// TestFileRecorderDecodesItsCopies: a call reported with its raw bodies
// only (WantsValues is false, so the packet path decodes nothing) is
// logged with its decoded values, decoded from copies: the caller may
// reuse the bodies as soon as Call returns. A call with an error has no
// result, and an undescribed one is logged in hex.
func TestFileRecorderDecodesItsCopies(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, runs after every other cleanup
	dir := t.TempDir()
	f := NewFile(FileOptions{Dir: dir})
	if f.WantsValues() {
		t.Fatal("the File asks for values decoded on the packet path")
	}
	s := &rpc.Session{ID: "1", Game: "g"}
	f.Connect(s, "")

	// Authentication.GetName(pid 1234567) -> "alice".
	req := binary.LittleEndian.AppendUint32(nil, 1234567)
	resp := binary.LittleEndian.AppendUint16(nil, 6)
	resp = append(resp, "alice\x00"...)
	f.Call(s, &CallEvent{Direction: rpc.ToServer, Protocol: 10, Method: 5, CallID: 1, ProtocolName: "Authentication", MethodName: "GetName",
		Handler: HandlerUpstream, RequestBody: req, ResponseBody: resp})
	clear(req) // the packet path's buffers are reused at once
	clear(resp)
	f.Call(s, &CallEvent{Direction: rpc.ToServer, Protocol: 10, Method: 5, CallID: 2, ProtocolName: "Authentication", MethodName: "GetName",
		Handler: HandlerUpstream, RequestBody: []byte{7, 0, 0, 0}, Error: 0x80010001})
	f.Call(s, &CallEvent{Direction: rpc.ToServer, Protocol: 0x7f0, Method: 1, CallID: 3, ProtocolName: "Protocol(0x7f0)", MethodName: "Method(1)",
		Handler: HandlerUpstream, RequestBody: []byte{0xde, 0xad}, ResponseBody: []byte{}})
	f.Disconnect(s, nil)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	files, _ := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if len(files) != 1 {
		t.Fatalf("%d session logs, want 1", len(files))
	}
	raw, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	calls := map[uint32]sessionlog.Record{}
	for _, r := range readLog(t, raw) {
		if r.Type == sessionlog.TypeCall {
			calls[r.CallID] = r
		}
	}
	if c := calls[1]; !bytes.Contains(c.Params, []byte("1234567")) || !bytes.Contains(c.Result, []byte(`"alice"`)) {
		t.Errorf("GetName logged with params %s and result %s, want the pid and the name", c.Params, c.Result)
	}
	if c := calls[2]; !bytes.Contains(c.Params, []byte("7")) || c.Result != nil || c.ResultRaw != "" || c.ErrorName == "" {
		t.Errorf("failed GetName logged with params %s, result %s %q, error %q", c.Params, c.Result, c.ResultRaw, c.ErrorName)
	}
	if c := calls[3]; c.ParamsRaw != "dead" || c.Params != nil || c.Result != nil || c.ResultRaw != "" {
		t.Errorf("undescribed call logged with params %s %q, result %s %q", c.Params, c.ParamsRaw, c.Result, c.ResultRaw)
	}
}
