package sessionlog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/nexproxy/nexproxy/internal/redacted"
)

// ErrClosed is returned by writes after Close.
var ErrClosed = errors.New("sessionlog: writer closed")

// Options describe one session log.
type Options struct {
	// Dir is the folder Create writes into; it is created when missing.
	Dir string
	// Game names the game; it goes into the header and the file name.
	Game string
	// Session is the console connection's id; it goes into the header and
	// the file name.
	Session string
	// Secrets writes passwords, keys and tickets unredacted.
	Secrets bool
	// Program identifies the writer in the header ("nexproxy 1.2.0").
	Program string
	// Now is the clock; nil means time.Now. Tests pin it.
	Now func() time.Time
	// OpenFile opens the file Create makes; nil means os.OpenFile. It
	// lets a caller put the logs elsewhere than the local file system
	// (tests use it to simulate a disk that blocks or fails).
	OpenFile func(name string, flag int, perm os.FileMode) (io.WriteCloser, error)
}

func osOpenFile(name string, flag int, perm os.FileMode) (io.WriteCloser, error) {
	return os.OpenFile(name, flag, perm)
}

// Writer appends records to one session log. It is safe for concurrent
// use (both sides of a session log into one file). It keeps no buffer
// between records: each Write or WriteRecords encodes into a pooled line
// buffer and hands whole lines to the file in one write, so a record is
// visible to readers as soon as the call returns and an idle Writer costs
// a few words, not a buffer (thousands of sessions stay open at once).
type Writer struct {
	mu      sync.Mutex
	w       io.Writer
	closer  io.Closer
	path    string
	secrets bool
	now     func() time.Time
	err     error // first write error; the file is unusable after it
	closed  bool
}

// lineBuf is the encoding scratch of one Write, lent by linePool.
type lineBuf struct {
	buf bytes.Buffer
	enc *json.Encoder // writes into buf
}

var linePool = sync.Pool{New: func() any {
	lb := &lineBuf{}
	lb.enc = json.NewEncoder(&lb.buf)
	lb.enc.SetEscapeHTML(false)
	return lb
}}

const (
	// chunkSize is how much of a batch WriteRecords gathers before it
	// writes: large enough to make a write per batch, small enough that
	// the pooled buffer stays small.
	chunkSize = 32 << 10
	// maxPooled is the largest buffer returned to linePool; one huge
	// record must not pin its buffer for the life of the process.
	maxPooled = 256 << 10
)

// Create creates a new session log file in o.Dir named after its start
// time, game and session (see the package documentation) and writes the
// header. An existing file is never overwritten: a clash gets a numeric
// suffix.
func Create(o Options) (*Writer, error) {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	start := now().UTC()
	if err := os.MkdirAll(o.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("sessionlog: create dir: %w", err)
	}
	base := FileName(start, o.Game, o.Session)
	open := o.OpenFile
	if open == nil {
		open = osOpenFile
	}
	var f io.WriteCloser
	var path string
	for i := 0; ; i++ {
		name := base
		if i > 0 {
			name = strings.TrimSuffix(base, ".jsonl") + fmt.Sprintf("-%d.jsonl", i)
		}
		path = filepath.Join(o.Dir, name)
		var err error
		f, err = open(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err == nil {
			break
		}
		if !errors.Is(err, os.ErrExist) || i >= 100 {
			return nil, fmt.Errorf("sessionlog: create: %w", err)
		}
	}
	o.Now = func() time.Time { return start }
	w, err := newWriter(f, f, o)
	if err != nil {
		_ = f.Close()
		_ = os.Remove(path)
		return nil, err
	}
	w.path = path
	w.now = now
	return w, nil
}

// FileName is the name Create gives a log started at t:
// "20240501T120000.123Z_wiiu_c17.jsonl". Characters that are not safe in
// file names on every system become '-'.
func FileName(t time.Time, game, session string) string {
	return fmt.Sprintf("%s_%s_%s.jsonl", t.UTC().Format("20060102T150405.000Z"), safeName(game), safeName(session))
}

func safeName(s string) string {
	if s == "" {
		return "-"
	}
	b := []byte(s)
	if len(b) > 64 {
		b = b[:64]
	}
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			b[i] = '-'
		}
	}
	return string(b)
}

// NewWriter writes the header to w and returns a Writer appending to it.
// Close does not close w.
func NewWriter(w io.Writer, o Options) (*Writer, error) {
	return newWriter(w, nil, o)
}

func newWriter(w io.Writer, c io.Closer, o Options) (*Writer, error) {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	sw := &Writer{w: w, closer: c, secrets: o.Secrets, now: now}
	err := sw.Write(Record{
		Type:    TypeHeader,
		Format:  Format,
		Version: Version,
		Program: o.Program,
		Game:    o.Game,
		Session: o.Session,
		Secrets: o.Secrets,
	})
	if err != nil {
		return nil, fmt.Errorf("sessionlog: write header: %w", err)
	}
	return sw, nil
}

// Path is the file Create made, or "" for a Writer from NewWriter.
func (w *Writer) Path() string { return w.path }

// CapturePath is where the pcapng capture of this session belongs: the log
// file's path with ".pcapng" in place of ".jsonl" ("" without a file).
func (w *Writer) CapturePath() string {
	if w.path == "" {
		return ""
	}
	return strings.TrimSuffix(w.path, ".jsonl") + ".pcapng"
}

// Secrets reports whether secrets are written unredacted.
func (w *Writer) Secrets() bool { return w.secrets }

// Write appends one record, stamping it with the current time when
// r.Time is zero and redacting secrets unless the writer keeps them. The
// line is in the file when Write returns.
func (w *Writer) Write(r Record) error {
	rs := [1]Record{r}
	return w.WriteRecords(rs[:])
}

// WriteRecords appends rs in order as Write does, with one write to the
// file per batch (per chunkSize of lines): a busy session's records cost
// one system call, not one each. A record without a type is skipped and
// reported; the others are still written. rs is not modified.
func (w *Writer) WriteRecords(rs []Record) error {
	lb := linePool.Get().(*lineBuf)
	defer putLine(lb)
	lb.buf.Reset()

	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return ErrClosed
	}
	if w.err != nil {
		return w.err
	}
	var bad error
	for i := range rs {
		if err := w.encode(lb, rs[i]); err != nil {
			if bad == nil {
				bad = err
			}
			continue
		}
		if lb.buf.Len() >= chunkSize {
			if err := w.flushLines(lb); err != nil {
				return err
			}
		}
	}
	if err := w.flushLines(lb); err != nil {
		return err
	}
	return bad
}

// encode appends r's line to lb. It runs under w.mu, so that the time
// stamps of concurrent writers follow the file's order.
func (w *Writer) encode(lb *lineBuf, r Record) error {
	if r.Type == "" {
		return errors.New("sessionlog: record without type")
	}
	if !w.secrets {
		r = redactRecord(r)
	}
	if r.Time.IsZero() {
		r.Time = w.now()
	}
	r.Time = r.Time.UTC()
	mark := lb.buf.Len()
	if err := lb.enc.Encode(&r); err != nil {
		// Only an invalid RawMessage can fail here; keep the event and
		// say what went wrong rather than lose the line.
		lb.buf.Truncate(mark)
		r.Params, r.Result, r.SentParams, r.ReceivedResult = nil, nil, nil, nil
		r.Text = strings.TrimSpace(r.Text + " (unloggable value: " + err.Error() + ")")
		if err := lb.enc.Encode(&r); err != nil {
			lb.buf.Truncate(mark)
			return fmt.Errorf("sessionlog: encode %s: %w", r.Type, err)
		}
	}
	return nil
}

// flushLines writes the lines gathered in lb and empties it; a failure
// sticks.
func (w *Writer) flushLines(lb *lineBuf) error {
	if lb.buf.Len() == 0 {
		return nil
	}
	_, err := w.w.Write(lb.buf.Bytes())
	lb.buf.Reset()
	if err != nil {
		w.err = fmt.Errorf("sessionlog: write: %w", err)
		return w.err
	}
	return nil
}

func putLine(lb *lineBuf) {
	if lb.buf.Cap() > maxPooled {
		return
	}
	lb.buf.Reset()
	linePool.Put(lb)
}

// Note appends a free-text note.
func (w *Writer) Note(text string) error {
	return w.Write(Record{Type: TypeNote, Text: text})
}

// Flush reports the first write error, if any. Records are written when
// Write returns, so there is nothing left to flush; Flush remains for
// callers written against the buffered Writer.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	return w.err
}

// Close closes the file of a Writer from Create and reports the first
// write error. Closing twice is harmless; writes after Close fail with
// ErrClosed.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	err := w.err
	if w.closer != nil {
		if cerr := w.closer.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("sessionlog: close: %w", cerr)
		}
	}
	return err
}

// redactRecord applies the secret rule to the value trees of r; in a
// protocol whose calls carry secrets (SecretBodies) it also replaces the
// "$raw" of an undescribed anydata class and every body that did not
// decode by a placeholder of its size: without a schema nothing tells
// where the ticket or password sits in them.
func redactRecord(r Record) Record {
	secret := SecretBodies(r.ProtocolID)
	r.Params = redactJSON(r.Params, secret)
	r.Result = redactJSON(r.Result, secret)
	r.SentParams = redactJSON(r.SentParams, secret)
	r.ReceivedResult = redactJSON(r.ReceivedResult, secret)
	if secret {
		for _, raw := range []*string{&r.ParamsRaw, &r.ResultRaw, &r.SentParamsRaw, &r.ReceivedResultRaw} {
			if *raw != "" {
				*raw = redacted.Placeholder(stringSize(*raw))
			}
		}
	}
	return r
}
