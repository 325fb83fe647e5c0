package sessionlog

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nexproxy/nexproxy/internal/heapgrowth"
)

// writeCounter records each write it gets, so that tests see when and in
// what pieces the Writer hands lines to the file.
type writeCounter struct {
	bytes.Buffer
	writes int
}

func (c *writeCounter) Write(p []byte) (int, error) {
	c.writes++
	return c.Buffer.Write(p)
}

// TestWriterUnbuffered: a record is in the file as soon as Write returns,
// without Flush, as one write of whole lines.
func TestWriterUnbuffered(t *testing.T) {
	var out writeCounter
	w, err := NewWriter(&out, Options{Game: "g", Session: "1"})
	if err != nil {
		t.Fatal(err)
	}
	if out.writes != 1 || !strings.HasSuffix(out.String(), "\n") {
		t.Fatalf("header: %d writes, %q", out.writes, out.String())
	}
	for i := range 3 {
		if err := w.Note("n"); err != nil {
			t.Fatal(err)
		}
		if out.writes != 2+i || strings.Count(out.String(), "\n") != 2+i || !strings.HasSuffix(out.String(), "\n") {
			t.Fatalf("after note %d: %d writes, %q", i, out.writes, out.String())
		}
	}
	if err := w.Flush(); err != nil || out.writes != 4 {
		t.Errorf("Flush: %v, %d writes", err, out.writes)
	}
}

// TestWriteRecordsBatch: a batch is one write (per chunk), in order; a
// record without a type is skipped and reported, the rest written.
func TestWriteRecordsBatch(t *testing.T) {
	var out writeCounter
	w, err := NewWriter(&out, Options{Secrets: true})
	if err != nil {
		t.Fatal(err)
	}
	out.Reset()
	out.writes = 0
	batch := []Record{{Type: TypeNote, Text: "a"}, {Text: "no type"}, {Type: TypeNote, Text: "b"}}
	if err := w.WriteRecords(batch); err == nil || !strings.Contains(err.Error(), "without type") {
		t.Errorf("typeless record: %v", err)
	}
	if out.writes != 1 || !strings.Contains(out.String(), `"a"`) || strings.Index(out.String(), `"a"`) > strings.Index(out.String(), `"b"`) ||
		strings.Contains(out.String(), "no type") {
		t.Errorf("%d writes: %s", out.writes, out.String())
	}
	if !batch[0].Time.IsZero() {
		t.Error("WriteRecords modified its argument")
	}

	// A batch larger than a chunk is written in pieces of whole lines.
	out.Reset()
	out.writes = 0
	big := make([]Record, 200)
	for i := range big {
		big[i] = Record{Type: TypeNote, Text: strings.Repeat("x", 1000)}
	}
	if err := w.WriteRecords(big); err != nil {
		t.Fatal(err)
	}
	if out.writes < 2 || out.writes > 10 || strings.Count(out.String(), "\n") != 200 {
		t.Errorf("200 KiB batch in %d writes, %d lines", out.writes, strings.Count(out.String(), "\n"))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteRecords(big[:1]); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
}

// brokenDisk fails every write after the first n.
type brokenDisk struct{ n int }

func (d *brokenDisk) Write(p []byte) (int, error) {
	if d.n <= 0 {
		return 0, errors.New("input/output error")
	}
	d.n--
	return len(p), nil
}

// TestWriterStickyError: a failed write is reported by that write, every
// later one, Flush and Close.
func TestWriterStickyError(t *testing.T) {
	w, err := NewWriter(&brokenDisk{n: 1}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Note("x"); err == nil || !strings.Contains(err.Error(), "input/output error") {
		t.Fatalf("write: %v", err)
	}
	for name, err := range map[string]error{"write": w.Note("y"), "flush": w.Flush(), "close": w.Close()} {
		if err == nil {
			t.Errorf("%s after a failed write: no error", name)
		}
	}
	if _, err := NewWriter(&brokenDisk{}, Options{}); err == nil {
		t.Error("header write failure not reported")
	}
}

// recordingFS opens real files and remembers what it opened.
type recordingFS struct{ names []string }

func (r *recordingFS) open(name string, flag int, perm os.FileMode) (io.WriteCloser, error) {
	r.names = append(r.names, name)
	return os.OpenFile(name, flag, perm)
}

// TestCreateOpenFile: Create opens through Options.OpenFile, clash
// handling included.
func TestCreateOpenFile(t *testing.T) {
	dir := t.TempDir()
	fs := &recordingFS{}
	o := Options{Dir: dir, Game: "g", Session: "1", Now: func() time.Time { return sampleStart }, OpenFile: fs.open}
	var ws []*Writer
	for range 2 {
		w, err := Create(o)
		if err != nil {
			t.Fatal(err)
		}
		ws = append(ws, w)
	}
	if len(fs.names) != 3 || fs.names[0] != fs.names[1] || fs.names[2] != ws[1].Path() || filepath.Dir(fs.names[0]) != dir {
		t.Errorf("opened %v", fs.names)
	}
	for _, w := range ws {
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	o.OpenFile = func(string, int, os.FileMode) (io.WriteCloser, error) { return nil, os.ErrPermission }
	if _, err := Create(o); !errors.Is(err, os.ErrPermission) {
		t.Errorf("open failure: %v", err)
	}
}

// TestWriterIdleMemory: an open Writer that has written a large record
// holds no buffer afterwards. A session log is open for as long as its
// console is connected, and thousands are (the budget of an idle secure
// session is 16 KiB in all).
func TestWriterIdleMemory(t *testing.T) {
	big := Record{Type: TypeNote, Text: strings.Repeat("x", 8<<10)}
	per := heapgrowth.PerCall(500, func(int) any {
		w, err := NewWriter(io.Discard, Options{Game: "g", Session: "1"})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(big); err != nil {
			t.Fatal(err)
		}
		return w
	})
	t.Logf("heap per idle Writer: %d bytes", per)
	if per > 1<<10 {
		t.Errorf("an idle Writer holds %d bytes of heap, want under 1 KiB", per)
	}
}

// BenchmarkWriteCalls: a batch of logged calls with matchmaking-sized
// values, two of them secret, redacted and encoded (to io.Discard): the
// writer goroutine's share of a logged call.
func BenchmarkWriteCalls(b *testing.B) {
	w, err := NewWriter(io.Discard, Options{Game: "g", Session: "c1"})
	if err != nil {
		b.Fatal(err)
	}
	params := json.RawMessage(`{"gathering":{"id":1234,"owner_pid":1750087940,"host_pid":1750087940,"min_participants":1,"max_participants":8,"participation_policy":98,"policy_argument":0,"flags":512,"state":0,"description":"ranked match"},"game_mode":3,"attributes":[1,2,3,4,5,6],"application_buffer":"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff","matchmake_param":{"$class":"MatchmakeParam","params":{"@SR":true,"@GIR":3}}}`)
	result := json.RawMessage(`{"result":"0x00010001","gid":1234,"session_key":"00112233445566778899aabbccddeeff","ticket":"0011"}`)
	r := Record{Type: TypeCall, Conn: "c1", Side: SideConsole, Dir: DirConsole, Protocol: "MatchmakeExtension", ProtocolID: 109,
		Method: "AutoMatchmakeWithParam_Postpone", MethodID: 40, CallID: 7, Params: params, Result: result, Handler: HandlerUpstream}
	rs := make([]Record, 32)
	for i := range rs {
		rs[i] = r
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := w.WriteRecords(rs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(rs)), "ns/record")
}
