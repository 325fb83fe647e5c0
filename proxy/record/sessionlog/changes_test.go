package sessionlog

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// TestChangedCallFields: the fields of a call a hook changed are written
// redacted like params and result, read back, shown by the transcript,
// and absent from the line of an unchanged call (older readers see the
// same lines as before).
func TestChangedCallFields(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, Options{Game: "g", Session: "1"})
	if err != nil {
		t.Fatal(err)
	}
	changed := Record{Type: TypeCall, Dir: DirConsole, Protocol: "Ticket", ProtocolID: 0x7E0, Method: "Get", MethodID: 1, CallID: 3,
		Params:         json.RawMessage(`{"user":"a","password":"hunter2"}`),
		SentParams:     json.RawMessage(`{"user":"b","password":"hunter2"}`),
		Result:         json.RawMessage(`{"n":2}`),
		ReceivedResult: json.RawMessage(`{"n":1}`),
		ChangedBy:      []string{"swap.lua"}}
	plain := Record{Type: TypeCall, Dir: DirConsole, ProtocolID: 0x7E0, MethodID: 2, CallID: 4, ParamsRaw: "00"}
	for _, r := range []Record{changed, plain} {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "hunter2") {
		t.Fatalf("secret in the log:\n%s", buf.String())
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if strings.Contains(lines[2], "changed_by") || strings.Contains(lines[2], "sent_params") || strings.Contains(lines[2], "received_") {
		t.Errorf("unchanged call carries the new fields: %s", lines[2])
	}
	r, err := NewReader(strings.NewReader(buf.String()))
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(got.SentParams), `"user":"b"`) || string(got.ReceivedResult) != `{"n":1}` || len(got.ChangedBy) != 1 || got.ChangedBy[0] != "swap.lua" {
		t.Errorf("read back %+v", got)
	}
	var out strings.Builder
	r, _ = NewReader(strings.NewReader(buf.String()))
	if err := WriteTranscript(&out, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`⇒ sent {"user":"b"`, `→ {"n":2} (received {"n":1})`, "changed by swap.lua"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("transcript lacks %q:\n%s", want, out.String())
		}
	}
}
