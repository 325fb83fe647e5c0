package record

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/nexproxy/nexproxy/internal/heapgrowth"
	"github.com/nexproxy/nexproxy/proxy/record/pcapng"
	"github.com/nexproxy/nexproxy/proxy/record/sessionlog"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/rpc"
	"github.com/nexproxy/nexproxy/rmc/schema"
)

// stuckDisk is a file system in memory whose writes, once armed, wait
// until release: an NFS mount that stopped answering.
type stuckDisk struct {
	armed   atomic.Bool
	gate    chan struct{} // closed by release
	entered chan struct{} // closed by the first write that waits
	once    sync.Once
	relOnce sync.Once

	mu    sync.Mutex
	files map[string]*stuckFile
}

type stuckFile struct {
	d      *stuckDisk
	buf    bytes.Buffer
	closed bool
}

func newStuckDisk(t *testing.T) *stuckDisk {
	d := &stuckDisk{gate: make(chan struct{}), entered: make(chan struct{}), files: map[string]*stuckFile{}}
	t.Cleanup(d.release) // a failed test must not leave writers waiting
	return d
}

func (d *stuckDisk) release() { d.relOnce.Do(func() { close(d.gate) }) }

func (d *stuckDisk) open(name string, flag int, _ os.FileMode) (io.WriteCloser, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.files[name]; ok && flag&os.O_EXCL != 0 {
		return nil, fs.ErrExist
	}
	f := &stuckFile{d: d}
	d.files[name] = f
	return f, nil
}

func (f *stuckFile) Write(p []byte) (int, error) {
	if f.d.armed.Load() {
		f.d.once.Do(func() { close(f.d.entered) })
		<-f.d.gate
	}
	f.d.mu.Lock()
	defer f.d.mu.Unlock()
	if f.closed {
		return 0, os.ErrClosed
	}
	return f.buf.Write(p)
}

func (f *stuckFile) Close() error {
	f.d.mu.Lock()
	defer f.d.mu.Unlock()
	f.closed = true
	return nil
}

// file returns the content of the one file whose name ends in suffix,
// and whether it was closed.
func (d *stuckDisk) file(t *testing.T, suffix string) ([]byte, bool) {
	t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	var found *stuckFile
	for name, f := range d.files {
		if strings.HasSuffix(name, suffix) {
			if found != nil {
				t.Fatalf("two files end in %s", suffix)
			}
			found = f
		}
	}
	if found == nil {
		return nil, false
	}
	return bytes.Clone(found.buf.Bytes()), found.closed
}

func (d *stuckDisk) names() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for name := range d.files {
		out = append(out, filepath.Base(name))
	}
	sort.Strings(out)
	return out
}

// prompt runs fn and fails the test if it does not return: the packet
// path must never wait for the disk.
func prompt(t *testing.T, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s waited for the disk", what)
	}
}

func testCall(id int) *CallEvent {
	return &CallEvent{Direction: rpc.ToServer, Protocol: 112, Method: 3, CallID: uint32(id), ProtocolName: "Ranking", MethodName: "UploadScore",
		Handler: HandlerUpstream, Request: &schema.Value{Kind: schema.KindRaw, Bytes: []byte{byte(id), 0xAA}}}
}

func testMessage(id int) *MessageEvent {
	return &MessageEvent{Time: time.Now(), Src: netip.MustParseAddrPort("192.168.1.2:5000"), Dst: netip.MustParseAddrPort("10.0.0.1:60000"),
		Message:      &rmc.Message{Request: true, Protocol: 112, Method: 3, CallID: uint32(id), Body: []byte{byte(id)}},
		ProtocolName: "Ranking", MethodName: "UploadScore"}
}

// readLog parses a session log: its records after the header.
func readLog(t *testing.T, raw []byte) []sessionlog.Record {
	t.Helper()
	r, err := sessionlog.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("session log: %v\n%s", err, raw)
	}
	var out []sessionlog.Record
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("session log: %v", err)
		}
		out = append(out, rec)
	}
}

// packetComments returns the comments of a capture's packets, in order.
func packetComments(t *testing.T, b []byte) []string {
	t.Helper()
	var out []string
	for len(b) > 0 {
		if len(b) < 12 {
			t.Fatalf("capture: %d trailing bytes", len(b))
		}
		typ, n := binary.LittleEndian.Uint32(b), int(binary.LittleEndian.Uint32(b[4:]))
		if n < 12 || n > len(b) {
			t.Fatalf("capture: block length %d of %d", n, len(b))
		}
		if typ == 6 {
			body := b[8 : n-4]
			capLen := int(binary.LittleEndian.Uint32(body[12:]))
			opts := body[20+(capLen+3)&^3:]
			comment := ""
			for len(opts) >= 4 {
				code, l := binary.LittleEndian.Uint16(opts), int(binary.LittleEndian.Uint16(opts[2:]))
				if code == 0 {
					break
				}
				if code == 1 {
					comment = string(opts[4 : 4+l])
				}
				opts = opts[4+(l+3)&^3:]
			}
			out = append(out, comment)
		}
		b = b[n:]
	}
	return out
}

// TestFileRecorderBlockedDisk: while the disk does not answer, every
// Recorder call returns at once; what the queue cannot hold is dropped and
// counted, with one warning; once the disk answers, the files hold the
// records that were kept, in order, a new session is logged in full, and
// Close returns with every file closed.
func TestFileRecorderBlockedDisk(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, runs after every other cleanup
	const limit, calls = 16, 40
	core, logs := observer.New(zapcore.InfoLevel)
	disk := newStuckDisk(t)
	defer disk.release() // before goleak looks, if the test fails early
	cw, _ := disk.open("all.pcapng", 0, 0)
	capture, err := pcapng.NewWriter(cw) // its header goes through before the disk sticks
	if err != nil {
		t.Fatal(err)
	}
	f := NewFile(FileOptions{Dir: t.TempDir(), SessionCaptures: true, Capture: capture, Logger: zap.New(core)})
	f.openFile = disk.open
	f.q.limit = limit
	disk.armed.Store(true)

	s1, s2 := &rpc.Session{ID: "1", Game: "g"}, &rpc.Session{ID: "2", Game: "g"}
	prompt(t, "Connect", func() { f.Connect(s1, "10.0.0.5:60000") })
	select {
	case <-disk.entered: // the writer is stuck creating s1's log
	case <-time.After(10 * time.Second):
		t.Fatal("the writer never wrote")
	}
	prompt(t, "the packet path", func() {
		f.Login(s1, 5, ModeIntercepted)
		for i := range calls {
			f.Call(s1, testCall(i))
			f.Message(s1, testMessage(i))
		}
		f.Connect(s2, "")              // its files' creation is dropped
		f.Call(s2, testCall(99))       // so this is not even queued
		f.Message(s2, testMessage(99)) // but this is, for the process capture
		f.Disconnect(s1, errors.New("timeout"))
		f.Disconnect(s2, nil)
	})
	// open s1, its 2 open records, login, the calls and messages, the
	// creation of s2, its message for the process capture, s1's 2 close
	// records.
	const sent = 1 + 2 + 1 + 2*calls + 1 + 1 + 2
	dropped := f.Dropped()
	if dropped == 0 || dropped > sent-limit {
		t.Fatalf("%d of %d dropped with a queue of %d", dropped, sent, limit)
	}
	if n := logs.FilterMessageSnippet("fall behind").Len(); n != 1 || logs.Len() != 1 {
		t.Errorf("%d drop warnings, want 1: %v", n, logs.All())
	}

	disk.release()
	prompt(t, "catching up", f.sync)
	s3 := &rpc.Session{ID: "3", Game: "g"}
	prompt(t, "a session after the disk came back", func() {
		f.Connect(s3, "")
		f.Call(s3, testCall(7))
		f.Message(s3, testMessage(7))
		f.Disconnect(s3, nil)
	})
	prompt(t, "Close", func() { _ = f.Close() })
	if err := capture.Close(); err != nil {
		t.Fatal(err)
	}
	if f.Dropped() != dropped {
		t.Errorf("%d more dropped after the disk came back", f.Dropped()-dropped)
	}
	if n := logs.FilterMessageSnippet("written again").Len(); n != 1 {
		t.Errorf("%d notes that writing resumed, want 1: %v", n, logs.All())
	}

	if names := disk.names(); len(names) != 5 || strings.Contains(strings.Join(names, " "), "_2.") {
		t.Errorf("files %v, want s1's and s3's log and capture and the process capture", names)
	}
	raw, closed := disk.file(t, "_g_1.jsonl")
	recs := readLog(t, raw)
	if !closed || len(recs) < 4 {
		t.Fatalf("s1's log closed %v, %d records:\n%s", closed, len(recs), raw)
	}
	if recs[0].Type != sessionlog.TypeOpen || recs[1].Type != sessionlog.TypeOpen || recs[2].Type != sessionlog.TypeLogin {
		t.Errorf("s1's log starts %+v", recs[:3])
	}
	// The header carries the connection's time, not the time the writer
	// got to it.
	h, err := sessionlog.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if !h.Header().Time.Equal(recs[0].Time) {
		t.Errorf("header time %v, open record time %v", h.Header().Time, recs[0].Time)
	}
	// The calls kept are the first ones, in order; the later ones and the
	// close records found the queue full.
	callsKept := 0
	for i, r := range recs[3:] {
		if r.Type != sessionlog.TypeCall || r.CallID != uint32(i) || r.ParamsRaw != fmt.Sprintf("%02xaa", i) {
			t.Errorf("s1 record %d: %+v", 3+i, r)
		}
		callsKept++
	}
	pcap1, closed := disk.file(t, "_g_1.pcapng")
	sessionPkts := packetComments(t, pcap1)
	if !closed {
		t.Error("s1's capture left open")
	}
	for i, c := range sessionPkts {
		// The comment ends with the session's settings (SettingsNote).
		if want := fmt.Sprintf("Ranking.UploadScore call %d request [nex=", i); !strings.HasPrefix(c, want) {
			t.Errorf("s1 packet %d: %q, want %q", i, c, want)
		}
	}
	all, _ := disk.file(t, "all.pcapng")
	allPkts := packetComments(t, all)
	if len(allPkts) != len(sessionPkts)+1 || !strings.HasPrefix(allPkts[len(allPkts)-1], "Ranking.UploadScore call 7 request [nex=") {
		t.Errorf("process capture %q, want s1's %d packets and s3's", allPkts, len(sessionPkts))
	}
	kept := 1 + 3 + callsKept + len(sessionPkts)
	if kept+int(dropped) != sent {
		t.Errorf("%d kept + %d dropped != %d sent", kept, dropped, sent)
	}
	if d := callsKept - len(sessionPkts); d < 0 || d > 1 {
		t.Errorf("%d calls and %d messages kept of interleaved calls and messages", callsKept, len(sessionPkts))
	}

	raw, closed = disk.file(t, "_g_3.jsonl")
	recs = readLog(t, raw)
	if !closed || len(recs) != 3 || recs[1].CallID != 7 || recs[2].Type != sessionlog.TypeClose {
		t.Errorf("s3's log closed %v:\n%s", closed, raw)
	}
	if pcap3, closed := disk.file(t, "_g_3.pcapng"); !closed || len(packetComments(t, pcap3)) != 1 {
		t.Errorf("s3's capture closed %v, %d packets", closed, len(packetComments(t, pcap3)))
	}
}

// TestFileRecorderNoDrops: a healthy disk keeps up with a burst from two
// legs of two sessions: nothing dropped, every record and message in
// order in its file, and Close leaves no goroutine.
func TestFileRecorderNoDrops(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, runs after every other cleanup
	const each = 500                           // per leg: 4 legs * 500 * (call + message) + opens and closes fit the queue
	dir := t.TempDir()
	core, logs := observer.New(zapcore.InfoLevel)
	var all bytes.Buffer
	capture, err := pcapng.NewWriter(&all)
	if err != nil {
		t.Fatal(err)
	}
	f := NewFile(FileOptions{Dir: dir, SessionCaptures: true, Capture: capture, Logger: zap.New(core)})
	sessions := []*rpc.Session{{ID: "a", Game: "g"}, {ID: "b", Game: "g"}}
	for _, s := range sessions {
		f.Connect(s, "10.0.0.5:60000")
	}
	var wg sync.WaitGroup
	for _, s := range sessions {
		for leg := range 2 {
			wg.Go(func() {
				for i := range each {
					f.Call(s, testCall(leg*each+i))
					f.Message(s, testMessage(leg*each+i))
				}
			})
		}
	}
	wg.Wait()
	for _, s := range sessions {
		f.Disconnect(s, nil)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if f.Dropped() != 0 || logs.Len() != 0 {
		t.Fatalf("%d dropped; logs %v", f.Dropped(), logs.All())
	}
	if n := len(packetComments(t, all.Bytes())); n != 4*each {
		t.Errorf("process capture holds %d packets, want %d", n, 4*each)
	}
	for _, s := range sessions {
		paths, _ := filepath.Glob(filepath.Join(dir, "*_g_"+s.ID+".*"))
		if len(paths) != 2 {
			t.Fatalf("session %s: files %v", s.ID, paths)
		}
		raw, err := os.ReadFile(paths[0])
		if err != nil {
			t.Fatal(err)
		}
		recs := readLog(t, raw)
		if len(recs) != 2+2*each+2 || recs[len(recs)-1].Type != sessionlog.TypeClose {
			t.Errorf("session %s: %d records, want %d ending in close", s.ID, len(recs), 2+2*each+2)
		}
		next := [2]uint32{0, each} // each leg's calls stay in order
		for _, r := range recs {
			if r.Type != sessionlog.TypeCall {
				continue
			}
			leg := r.CallID / each
			if r.CallID != next[leg] {
				t.Fatalf("session %s: call %d after %d", s.ID, r.CallID, next[leg]-1)
			}
			next[leg]++
		}
		pcap, err := os.ReadFile(paths[1])
		if err != nil {
			t.Fatal(err)
		}
		if n := len(packetComments(t, pcap)); n != 2*each {
			t.Errorf("session %s: capture of %d packets, want %d", s.ID, n, 2*each)
		}
	}
}

// TestFileRecorderReadableWhileRunning: a record reaches the file soon
// after the call, without Close, because the writer writes whenever it
// takes records off the queue.
func TestFileRecorderReadableWhileRunning(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, runs after every other cleanup
	dir := t.TempDir()
	f := NewFile(FileOptions{Dir: dir})
	defer f.Close()
	s := &rpc.Session{ID: "1", Game: "g"}
	f.Connect(s, "")
	f.Call(s, testCall(42))
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		paths, _ := filepath.Glob(filepath.Join(dir, "*.jsonl"))
		if len(paths) == 1 {
			raw, err := os.ReadFile(paths[0])
			if err != nil {
				t.Fatal(err)
			}
			// The file may be caught between its creation and its
			// header; lines are written whole.
			if bytes.HasSuffix(raw, []byte("\n")) && bytes.Count(raw, []byte("\n")) == 3 {
				if recs := readLog(t, raw); recs[1].CallID != 42 {
					t.Fatalf("records %+v", recs)
				}
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the call never reached the file while the session ran")
		}
	}
}

// TestFileRecorderUnused: a recorder that got no event starts no
// goroutine; events after Close are ignored, not counted as drops.
func TestFileRecorderUnused(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, runs after every other cleanup
	f := NewFile(FileOptions{Dir: t.TempDir()})
	f.sync()
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	s := &rpc.Session{ID: "1", Game: "g"}
	f.Connect(s, "")
	f.Call(s, testCall(1))
	f.Disconnect(s, nil)
	f.sync()
	if err := f.Close(); err != nil || f.Dropped() != 0 {
		t.Errorf("second Close %v, %d dropped", err, f.Dropped())
	}
}

// TestFileRecorderIdleMemory: an open session costs its log and capture
// well under the 16 KiB an idle secure session may cost in all (the
// proxy holds 5,000 of them): no write buffer stays with an idle file.
func TestFileRecorderIdleMemory(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, runs after every other cleanup
	const n = 1000
	f := NewFile(FileOptions{Dir: t.TempDir(), SessionCaptures: true})
	defer f.Close()
	sessions := make([]*rpc.Session, n+1)
	for i := range sessions {
		sessions[i] = rpc.NewSession(fmt.Sprint(i), "g", rpc.LegAuth, netip.MustParseAddrPort("192.168.1.2:5000"), rmc.Settings{})
	}
	// Warm up: the writer goroutine and the pools exist before the count.
	f.Connect(sessions[n], "10.0.0.5:60000")
	f.Call(sessions[n], testCall(1))
	f.Message(sessions[n], testMessage(1))
	f.sync()

	per := heapgrowth.PerCall(n, func(i int) any {
		s := sessions[i]
		f.Connect(s, "10.0.0.5:60000")
		f.Call(s, testCall(1))
		f.Message(s, testMessage(1))
		if i%100 == 99 || i == n-1 {
			f.sync() // consoles connect over time, not 1,000 at once
		}
		return nil // the recorder keeps what a session holds
	})
	t.Logf("heap per idle session with a log and a capture open: %d bytes", per)
	if per > 6<<10 {
		t.Errorf("an idle session's files hold %d bytes of heap, want well under 16 KiB (< 6 KiB)", per)
	}
	if f.Dropped() != 0 {
		t.Errorf("%d dropped", f.Dropped())
	}
}

// BenchmarkFileRecorderCall: a logged call end to end at sustained load:
// the packet path's record and queueing, with the writer goroutine's
// batched writes to a real file alongside (waited for every 1,000 calls,
// so that the queue never overflows).
func BenchmarkFileRecorderCall(b *testing.B) {
	f := NewFile(FileOptions{Dir: b.TempDir()})
	s := &rpc.Session{ID: "1", Game: "g"}
	f.Connect(s, "")
	e := testCall(1)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		f.Call(s, e)
		if i%1000 == 999 {
			f.sync()
		}
	}
	b.StopTimer()
	f.Disconnect(s, nil)
	_ = f.Close()
	if f.Dropped() != 0 {
		b.Fatalf("%d dropped", f.Dropped())
	}
}
