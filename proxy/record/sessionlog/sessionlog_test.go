package sessionlog

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func writeSample(t *testing.T, secrets bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, Options{Game: "wiiu", Session: "c17", Program: "nexproxy test", Secrets: secrets, Now: func() time.Time { return sampleStart }})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range sampleRecords() {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update creates it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// TestWriterGolden pins the file format byte for byte: a change here is a
// format change and must keep version 1 readers working.
func TestWriterGolden(t *testing.T) {
	golden(t, "testdata/session.jsonl", writeSample(t, false))
}

// TestTranscriptGolden pins what `nexproxy decode` prints for the sample.
func TestTranscriptGolden(t *testing.T) {
	f, err := os.Open("testdata/session.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := WriteTranscript(&out, r); err != nil {
		t.Fatal(err)
	}
	golden(t, "testdata/session.txt", out.Bytes())
}

func TestRoundTrip(t *testing.T) {
	r, err := NewReader(bytes.NewReader(writeSample(t, true)))
	if err != nil {
		t.Fatal(err)
	}
	h := r.Header()
	if h.Format != Format || h.Version != Version || h.Game != "wiiu" || h.Session != "c17" || !h.Secrets || !h.Time.Equal(sampleStart) {
		t.Errorf("header %+v", h)
	}
	for i, want := range sampleRecords() {
		got, err := r.Next()
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if !got.Time.Equal(want.Time) {
			t.Errorf("record %d time %v, want %v", i, got.Time, want.Time)
		}
		got.Time, want.Time = time.Time{}, time.Time{}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("record %d:\n got %+v\nwant %+v", i, got, want)
		}
	}
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("after last record: %v", err)
	}
}

func TestRedactionInLog(t *testing.T) {
	log := string(writeSample(t, false))
	for _, secret := range []string{"00112233445566778899aabbccddeeff", "ffffffffffffffff", "aabbccdd"} {
		if strings.Contains(log, secret) {
			t.Errorf("secret %s written with secrets off", secret)
		}
	}
	for _, want := range []string{
		`"ticket":"<redacted 16 bytes>"`,
		`"params_raw":"<redacted 8 bytes>"`,
		`"params_raw":"0a0b0c0d"`, // undescribed, not authentication: kept
		`"station":"prudps:/address=192.168.1.2`,
	} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %s", want)
		}
	}
	if !strings.Contains(string(writeSample(t, true)), "00112233445566778899aabbccddeeff") {
		t.Error("secrets on: ticket missing")
	}
}

func TestRedactJSON(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"username":"1234567","password":"testpassword"}`, `{"username":"1234567","password":"<redacted 12 bytes>"}`},
		{`{"b":1,"a":{"session_key":"0011","x":[{"pbufResponse":"aabbcc"}]}}`, `{"b":1,"a":{"session_key":"<redacted 2 bytes>","x":[{"pbufResponse":"<redacted 3 bytes>"}]}}`},
		{`{"extra":{"$class":"NintendoLoginData","token":"nex-token-1234567"}}`, `{"extra":{"$class":"NintendoLoginData","token":"<redacted 17 bytes>"}}`},
		{`{"access_password":18446744073709551615,"key":{"a":1}}`, `{"access_password":"<redacted 20 bytes>","key":"<redacted 7 bytes>"}`},
		{`[1.5e300,"<&>",null,true,false,{}]`, `[1.5e300,"<&>",null,true,false,{}]`},
		{`{"ticket":null}`, `{"ticket":"<redacted 0 bytes>"}`},
		{`{"a":`, `"<redacted 5 bytes>"`},
		{`{"a":1} {"b":2}`, `"<redacted 15 bytes>"`},
		{``, ``},
	} {
		if got := string(RedactJSON(json.RawMessage(c.in))); got != c.want {
			t.Errorf("RedactJSON(%s)\n got %s\nwant %s", c.in, got, c.want)
		}
	}
	deep := strings.Repeat("[", 10000) + strings.Repeat("]", 10000)
	if got := string(RedactJSON(json.RawMessage(deep))); got != `"<redacted 20000 bytes>"` {
		t.Errorf("deep nesting: %.40s", got)
	}
}

func TestRedact(t *testing.T) {
	in := map[string]any{"pid": 5, "Password": "secret", "list": []any{map[string]any{"sourceKey": "abcd"}}}
	got := Redact(in)
	want := map[string]any{"pid": 5, "Password": "<redacted 6 bytes>", "list": []any{map[string]any{"sourceKey": "<redacted 2 bytes>"}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Redact = %v", got)
	}
	if in["Password"] != "secret" {
		t.Error("Redact changed its input")
	}
}

func TestIsSecretName(t *testing.T) {
	for name, want := range map[string]bool{
		"password": true, "key": true, "session_key": true, "ticket": true, "token": true,
		"source_key": true, "pbufResponse": true, "bufResponse": true, "access_password": true,
		"service_token": true, "idToken": true, "SessionKey": true,
		"pid": false, "username": false, "keys_count": false, "station": false, "server_name": false,
		"access_key_hint": false, "result": false,
	} {
		if got := IsSecretName(name); got != want {
			t.Errorf("IsSecretName(%q) = %v", name, got)
		}
	}
}

func TestReaderRejects(t *testing.T) {
	future := `{"type":"header","time":"2024-05-01T12:00:00Z","format":"nexproxy-session-log","version":2}` + "\n"
	for _, c := range []struct {
		name, in string
		is       error
		msg      string
	}{
		{"empty", "", ErrNotSessionLog, "empty input"},
		{"other json", `{"type":"call"}` + "\n", ErrNotSessionLog, "line 1"},
		{"text", "hello\n", ErrNotSessionLog, "line 1"},
		{"other format", `{"type":"header","format":"pcap","version":1}` + "\n", ErrNotSessionLog, ""},
		{"future", future, ErrUnsupportedVersion, "format version 2, this nexproxy reads version 1; use a newer nexproxy"},
		{"no version", `{"type":"header","format":"nexproxy-session-log"}` + "\n", ErrUnsupportedVersion, "no valid version"},
		{"header cut", `{"type":"header","format":"nexproxy-session-log","version":1}`, io.ErrUnexpectedEOF, "ends mid-record"},
	} {
		_, err := NewReader(strings.NewReader(c.in))
		if !errors.Is(err, c.is) || !strings.Contains(fmt.Sprint(err), c.msg) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

func TestReaderBadRecords(t *testing.T) {
	head := `{"type":"header","time":"2024-05-01T12:00:00Z","format":"nexproxy-session-log","version":1}` + "\n"
	for _, c := range []struct{ name, body, msg string }{
		{"not json", "oops\n", "line 2"},
		{"no type", `{"time":"2024-05-01T12:00:00Z"}` + "\n", "line 2: record without type"},
		{"cut", `{"type":"note","text":"x"}` + "\n" + `{"type":"no`, "line 3: unexpected EOF"},
		{"bad duration", "\n" + `{"type":"call","duration":"fast"}` + "\n", "line 3"},
		{"bad code", `{"type":"call","error":"0xZZ"}` + "\n", "line 2"},
	} {
		r, err := NewReader(strings.NewReader(head + c.body))
		if err != nil {
			t.Fatal(err)
		}
		for err == nil {
			_, err = r.Next()
		}
		if errors.Is(err, io.EOF) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	// Newer optional fields and event types of version 1 pass through.
	r, _ := NewReader(strings.NewReader(head + `{"type":"flow","future_field":1}` + "\n"))
	if rec, err := r.Next(); err != nil || rec.Type != "flow" {
		t.Errorf("unknown type: %+v %v", rec, err)
	}
}

func TestReaderLineLimit(t *testing.T) {
	defer func(n int) { maxLineSize = n }(maxLineSize)
	maxLineSize = 1000
	head := `{"type":"header","time":"2024-05-01T12:00:00Z","format":"nexproxy-session-log","version":1}` + "\n"
	r, err := NewReader(strings.NewReader(head + `{"type":"note","text":"` + strings.Repeat("x", 2000) + `"}` + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); err == nil || !strings.Contains(err.Error(), "longer than 1000 bytes") {
		t.Errorf("long line: %v", err)
	}
}

func TestCreate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sessions")
	clock := func() time.Time { return time.Date(2024, 5, 1, 12, 0, 0, 123e6, time.FixedZone("CEST", 7200)) }
	o := Options{Dir: dir, Game: "wiiu", Session: "c17/../x", Now: clock}
	w1, err := Create(o)
	if err != nil {
		t.Fatal(err)
	}
	w2, err := Create(o)
	if err != nil {
		t.Fatal(err)
	}
	if got := filepath.Base(w1.Path()); got != "20240501T100000.123Z_wiiu_c17-..-x.jsonl" {
		t.Errorf("name %s", got)
	}
	if got := filepath.Base(w2.Path()); got != "20240501T100000.123Z_wiiu_c17-..-x-1.jsonl" {
		t.Errorf("clash name %s", got)
	}
	if w1.CapturePath() != strings.TrimSuffix(w1.Path(), ".jsonl")+".pcapng" {
		t.Errorf("capture path %s", w1.CapturePath())
	}
	if err := w1.Note("hello"); err != nil {
		t.Fatal(err)
	}
	for _, w := range []*Writer{w1, w2} {
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := w1.Note("late"); !errors.Is(err, ErrClosed) {
		t.Errorf("write after close: %v", err)
	}
	f, err := os.Open(w1.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := r.Next()
	if err != nil || rec.Text != "hello" || !rec.Time.Equal(clock()) {
		t.Errorf("note %+v %v", rec, err)
	}
}

func TestConcurrentWriters(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				_ = w.Write(Record{Type: TypeCall, CallID: uint32(i), Params: json.RawMessage(`{"password":"x","n":` + fmt.Sprint(g) + `}`)})
				if i%10 == 0 {
					_ = w.Flush()
				}
			}
		}()
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(rec.Params), "<redacted 1 bytes>") {
			t.Errorf("params %s", rec.Params)
		}
		n++
	}
	if n != 800 {
		t.Errorf("%d records, want 800", n)
	}
}

func TestWriterInvalidRawMessage(t *testing.T) {
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, Options{Secrets: true})
	if err := w.Write(Record{Type: TypeCall, Params: json.RawMessage(`{bad`)}); err != nil {
		t.Fatal(err)
	}
	_ = w.Close()
	if !strings.Contains(buf.String(), "unloggable value") {
		t.Errorf("log %s", buf.String())
	}
	if err := w.Write(Record{}); err == nil {
		t.Error("record without type accepted")
	}
}

func TestJSONHelper(t *testing.T) {
	if got := string(JSON(map[string]int{"a": 1})); got != `{"a":1}` {
		t.Error(got)
	}
	if got := string(JSON(func() {})); !strings.Contains(got, "unloggable") {
		t.Error(got)
	}
	if JSON(nil) != nil {
		t.Error("nil")
	}
}

// FuzzReader: no input makes the reader or the transcript panic, and each
// returns an error or finishes.
func FuzzReader(f *testing.F) {
	if b, err := os.ReadFile("testdata/session.jsonl"); err == nil {
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	f.Add([]byte(`{"type":"header","format":"nexproxy-session-log","version":1}` + "\n" + `{"type":"call","error":"1","duration":"1s"}` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data))
		if err != nil {
			return
		}
		_ = WriteTranscript(io.Discard, r)
	})
}

// FuzzRedactJSON: output is always valid JSON, and valid input keeps its
// shape (redaction only replaces values): the one-pass redactor gives the
// value the token-stream one does.
func FuzzRedactJSON(f *testing.F) {
	for _, in := range redactSeeds {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := RedactJSON(json.RawMessage(in))
		if len(in) > 0 && !json.Valid(out) {
			t.Fatalf("RedactJSON(%q) = %q: invalid JSON", in, out)
		}
		if want := referenceRedactJSON(json.RawMessage(in)); !sameJSON(out, want) {
			t.Fatalf("RedactJSON(%q) = %s, the token-stream redactor gives %s", in, out, want)
		}
	})
}

// TestRedactionOfUndecodedSecretBodies: a body that did not decode (or an
// anydata whose class is undescribed, "$raw") cannot be inspected, so in
// a protocol whose calls carry secrets it is redacted whole, as the
// authentication protocol's always were: a RegisterEx with its NEX token,
// a DataStore call with its passwords, a matchmaking answer with its
// session key. Other protocols keep their hex.
func TestRedactionOfUndecodedSecretBodies(t *testing.T) {
	const token = "6e65782d746f6b656e2d31323334" // "nex-token-1234"
	var buf bytes.Buffer
	w, err := NewWriter(&buf, Options{Game: "wiiu", Session: "c1", Now: func() time.Time { return sampleStart }})
	if err != nil {
		t.Fatal(err)
	}
	recs := []Record{
		{Type: TypeCall, ProtocolID: 11, MethodID: 4, CallID: 1, ParamsRaw: "00000000" + token},
		{Type: TypeCall, ProtocolID: 11, MethodID: 4, CallID: 2,
			Params: json.RawMessage(`{"urls":[],"login_data":{"$class":"NewLoginData","$raw":"` + token + `"}}`)},
		{Type: TypeCall, ProtocolID: 115, MethodID: 38, CallID: 3, ParamsRaw: token},
		{Type: TypeCall, ProtocolID: 109, MethodID: 6, CallID: 4, ParamsRaw: "00", ResultRaw: "01000000" + token},
		{Type: TypeCall, ProtocolID: 21, MethodID: 1, CallID: 5, SentParamsRaw: token, ReceivedResultRaw: token},
		{Type: TypeCall, ProtocolID: 110, MethodID: 2, CallID: 6, ResultRaw: token},
	}
	if err := w.WriteRecords(recs); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(Record{Type: TypeCall, ProtocolID: 0x7f, MethodID: 3, CallID: 7, ParamsRaw: token}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	for _, l := range lines[1 : len(lines)-1] {
		if strings.Contains(l, token) {
			t.Errorf("secret written with secrets off: %s", l)
		}
	}
	for _, want := range []string{`"params_raw":"<redacted 18 bytes>"`, `"$raw":"<redacted 14 bytes>"`, `"$class":"NewLoginData"`} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("log lacks %s", want)
		}
	}
	if last := lines[len(lines)-1]; !strings.Contains(last, `"params_raw":"`+token+`"`) {
		t.Errorf("a protocol without secrets lost its hex: %s", last)
	}
	for _, p := range []uint16{10, 11, 21, 109, 110, 115} {
		if !SecretBodies(p) {
			t.Errorf("SecretBodies(%d) = false", p)
		}
	}
}

// TestRedactedRecordFields: every value tree and every undecoded body of
// a record gets the rule of its protocol: in one whose calls carry
// secrets the "$raw" of an undescribed class and the bodies are replaced
// by placeholders, in another they keep their hex; named secrets are
// replaced in both.
func TestRedactedRecordFields(t *testing.T) {
	const token = "6e65782d746f6b656e"
	tree := json.RawMessage(`{"password":"x","data":{"$class":"Unknown","$raw":"` + token + `"}}`)
	for _, c := range []struct {
		protocol uint16
		secret   bool
	}{{11, true}, {0x7f, false}} {
		r := Redacted(Record{Type: TypeCall, ProtocolID: c.protocol,
			Params: tree, Result: tree, SentParams: tree, ReceivedResult: tree,
			ParamsRaw: token, ResultRaw: token, SentParamsRaw: token, ReceivedResultRaw: token})
		for i, v := range []json.RawMessage{r.Params, r.Result, r.SentParams, r.ReceivedResult} {
			s := string(v)
			if !strings.Contains(s, `"password":"<redacted 1 bytes>"`) || strings.Contains(s, token) != !c.secret {
				t.Errorf("protocol %d, tree %d: %s", c.protocol, i, s)
			}
		}
		for i, s := range []string{r.ParamsRaw, r.ResultRaw, r.SentParamsRaw, r.ReceivedResultRaw} {
			want := token
			if c.secret {
				want = "<redacted 9 bytes>"
			}
			if s != want {
				t.Errorf("protocol %d, body %d: %q, want %q", c.protocol, i, s, want)
			}
		}
	}
}
