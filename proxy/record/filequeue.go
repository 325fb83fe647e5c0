package record

import (
	"errors"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/proxy/record/pcapng"
	"github.com/nexproxy/nexproxy/proxy/record/sessionlog"
)

// fileOp is what the writer goroutine does with a queued item.
type fileOp uint8

const (
	opOpen   fileOp = iota // create sf's files (rec.Time, rec.Game, rec.Conn name them)
	opRecord               // append rec to sf's log
	opPacket               // append pkt to sf's capture (sf != nil) and the process capture (process)
	opClose                // close sf's files
	opSync                 // write everything before it, then close synced
)

// fileItem is one queued piece of work for the writer goroutine.
type fileItem struct {
	op      fileOp
	process bool // opPacket: into FileOptions.Capture too
	sf      *sessionFiles
	rec     sessionlog.Record
	body    *callBodies // opRecord of a call: values to decode into rec
	pkt     pcapng.Packet
	synced  chan struct{}
}

// fileQueue hands items from the packet path to the writer goroutine.
// Records and messages are bounded by limit; closes and syncs always get
// in (at most one close per file created), so that no file stays open.
type fileQueue struct {
	mu       sync.Mutex
	items    []fileItem
	limit    int
	started  bool // the writer goroutine runs (or ran)
	idle     bool // the writer waits for wake: the next item wakes it
	closed   bool // Close was called: refuse everything
	dropping bool // in an episode of drops, warned about
	episode  uint64

	dropped atomic.Uint64
	wake    chan struct{} // 1 slot: items are waiting
	done    chan struct{} // closed when the writer goroutine returns
}

func (q *fileQueue) init(limit int) {
	q.limit = limit
	q.wake = make(chan struct{}, 1)
	q.done = make(chan struct{})
}

// push queues it unless the queue is full (counted in Dropped) or closed.
// It never waits for the writer.
func (f *File) push(it fileItem) bool {
	q := &f.q
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return false
	}
	if len(q.items) >= q.limit {
		q.dropped.Add(1)
		warn := !q.dropping
		if warn {
			q.dropping = true
			q.episode = q.dropped.Load() - 1
		}
		q.mu.Unlock()
		if warn {
			f.o.Logger.Warn("session logs and captures fall behind; records are dropped until the writer catches up",
				zap.String("dir", f.o.Dir), zap.Int("queued", q.limit))
		}
		return false
	}
	f.enqueueLocked(it, false)
	return true
}

// force queues it whatever the queue holds (unless closed); urgent wakes
// the writer even in the middle of its pause (sync).
func (q *fileQueue) force(f *File, it fileItem, urgent bool) bool {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return false
	}
	f.enqueueLocked(it, urgent)
	return true
}

// enqueueLocked appends it, starts the writer at the first item, wakes it
// when it waits for work (or urgent), and unlocks q.mu. A writer in its
// pause between batches is not woken: it comes back for the item within
// writerPause, and the packet path saves a goroutine wake-up per record.
func (f *File) enqueueLocked(it fileItem, urgent bool) {
	q := &f.q
	q.items = append(q.items, it)
	start := !q.started
	q.started = true
	wake := q.idle || urgent
	q.idle = false
	q.mu.Unlock()
	if start {
		go f.run()
		return
	}
	if wake {
		q.signal()
	}
}

// signal wakes the writer (a pending wake-up is enough).
func (q *fileQueue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// writerPause is how long the writer lets records gather after writing a
// batch before it takes the next: a busy session log is written in
// batches of this much traffic and is at most this far behind.
const writerPause = 5 * time.Millisecond

// close refuses further items, lets the writer finish what is queued and
// waits for it to return.
func (q *fileQueue) close() {
	q.mu.Lock()
	already := q.closed
	q.closed = true
	started := q.started
	q.mu.Unlock()
	if !started {
		return
	}
	if !already {
		q.signal()
	}
	<-q.done
}

// sync returns when everything queued before it is written (at once when
// nothing was ever queued or the recorder is closed).
func (f *File) sync() {
	f.q.mu.Lock()
	started := f.q.started
	f.q.mu.Unlock()
	if !started {
		return
	}
	c := make(chan struct{})
	if f.q.force(f, fileItem{op: opSync, synced: c}, true) {
		<-c
	}
}

// fileWriter is the writer goroutine's state.
type fileWriter struct {
	touched      []*sessionFiles // sessions with records or messages pending in this batch
	capture      []int32         // the batch's messages for the process capture
	recs         []sessionlog.Record
	pkts         []pcapng.Packet
	createFailed bool        // a creation failure was logged; reset by a success
	captureBad   atomic.Bool // the process capture failed and was logged; read by Message
}

const (
	// maxKept bounds the scratch slices the writer keeps between batches,
	// so that a burst does not pin its memory; it is also the most records
	// or messages written to one file at once.
	maxKept = 256
	// maxKeptBatch bounds the queue's two slices (taken in turn by the
	// packet path and the writer) kept between batches: under a megabyte
	// each, and no reallocation while the writer keeps up.
	maxKeptBatch = 1024
)

// run is the writer goroutine: it takes everything queued, writes it,
// pauses for writerPause (or until a sync or Close), and waits for the
// next item when the queue is empty, until Close.
func (f *File) run() {
	q := &f.q
	defer close(q.done)
	pause := time.NewTimer(time.Hour)
	defer pause.Stop()
	var batch []fileItem
	for {
		q.mu.Lock()
		batch, q.items = q.items, batch[:0]
		closed := q.closed
		if len(batch) == 0 && !closed {
			q.idle = true
		}
		q.mu.Unlock()
		if len(batch) == 0 {
			if closed {
				return
			}
			<-q.wake
			continue
		}
		f.process(batch)
		clear(batch) // the records' values and messages' bytes
		if cap(batch) > maxKeptBatch {
			batch = nil
		}
		f.caughtUp()
		if closed {
			continue
		}
		pause.Reset(writerPause)
		select {
		case <-pause.C:
		case <-q.wake:
			pause.Stop()
		}
	}
}

// caughtUp ends an episode of drops once the writer has emptied the queue.
func (f *File) caughtUp() {
	q := &f.q
	q.mu.Lock()
	if !q.dropping || len(q.items) > 0 {
		q.mu.Unlock()
		return
	}
	q.dropping = false
	n := q.dropped.Load() - q.episode
	q.mu.Unlock()
	f.o.Logger.Info("session logs and captures written again", zap.String("dir", f.o.Dir), zap.Uint64("dropped", n))
}

// process carries out one batch in order: records and messages are
// gathered per file and written together at the end, or earlier when a
// close or sync needs them out.
func (f *File) process(batch []fileItem) {
	w := &f.w
	for i := range batch {
		it := &batch[i]
		sf := it.sf
		switch it.op {
		case opOpen:
			f.create(sf, it.rec.Time, it.rec.Game, it.rec.Conn)
		case opRecord:
			if sf.log != nil && !sf.closed {
				w.touch(sf)
				sf.recs = append(sf.recs, int32(i))
			}
		case opPacket:
			if sf != nil && sf.pcap != nil && !sf.closed {
				w.touch(sf)
				sf.pkts = append(sf.pkts, int32(i))
			}
			if it.process {
				w.capture = append(w.capture, int32(i))
			}
		case opClose:
			f.writeSession(sf, batch)
			f.closeFiles(sf)
		case opSync:
			f.writeAll(batch)
			close(it.synced)
		}
	}
	f.writeAll(batch)
}

func (w *fileWriter) touch(sf *sessionFiles) {
	if !sf.touched {
		sf.touched = true
		w.touched = append(w.touched, sf)
	}
}

// writeAll writes what the batch gathered for every file.
func (f *File) writeAll(batch []fileItem) {
	w := &f.w
	for i, sf := range w.touched {
		f.writeSession(sf, batch)
		sf.touched = false
		w.touched[i] = nil
	}
	w.touched = keep(w.touched)
	if len(w.capture) > 0 {
		err := w.writePackets(f.o.Capture, batch, w.capture)
		if err != nil && !errors.Is(err, pcapng.ErrClosed) && !w.captureBad.Swap(true) {
			f.o.Logger.Warn("packet capture write failed; capture stopped", zap.Error(err))
		}
		w.capture = keep(w.capture)
	}
}

// writeSession writes sf's gathered records and messages.
func (f *File) writeSession(sf *sessionFiles, batch []fileItem) {
	w := &f.w
	if len(sf.recs) > 0 {
		err := f.writeRecords(sf.log, batch, sf.recs)
		if err != nil && !errors.Is(err, sessionlog.ErrClosed) && !sf.logBad {
			sf.logBad = true
			f.o.Logger.Warn("session log write failed; the session goes on without it",
				zap.String("file", sf.log.Path()), zap.Error(err))
		}
		sf.recs = nil // an idle session keeps nothing
	}
	if len(sf.pkts) > 0 {
		err := w.writePackets(sf.pcap, batch, sf.pkts)
		if err != nil && !errors.Is(err, pcapng.ErrClosed) && !sf.pcapBad {
			sf.pcapBad = true
			f.o.Logger.Warn("session capture write failed; the session goes on without it",
				zap.String("file", sf.log.CapturePath()), zap.Error(err))
		}
		sf.pkts = nil
	}
}

// writeRecords writes the records of batch at idx to lw, maxKept at a
// time, and returns the first error.
func (f *File) writeRecords(lw *sessionlog.Writer, batch []fileItem, idx []int32) error {
	w := &f.w
	var first error
	for len(idx) > 0 {
		n := min(len(idx), maxKept)
		w.recs = w.recs[:0]
		for _, i := range idx[:n] {
			it := &batch[i]
			if it.body != nil {
				f.decodeValues(&it.rec, it.body)
				it.body = nil
			}
			w.recs = append(w.recs, it.rec)
		}
		if err := lw.WriteRecords(w.recs); err != nil && first == nil {
			first = err
		}
		clear(w.recs)
		idx = idx[n:]
	}
	return first
}

// writePackets writes the messages of batch at idx to pw, maxKept at a
// time, and returns the first error.
func (w *fileWriter) writePackets(pw *pcapng.Writer, batch []fileItem, idx []int32) error {
	var first error
	for len(idx) > 0 {
		n := min(len(idx), maxKept)
		w.pkts = w.pkts[:0]
		for _, i := range idx[:n] {
			w.pkts = append(w.pkts, batch[i].pkt)
		}
		if err := pw.WritePackets(w.pkts); err != nil && first == nil {
			first = err
		}
		clear(w.pkts)
		idx = idx[n:]
	}
	return first
}

// keep empties s for reuse unless a burst made it large.
func keep[T any](s []T) []T {
	if cap(s) > maxKept {
		return nil
	}
	return s[:0]
}

// create opens sf's session log and, when asked, its capture.
func (f *File) create(sf *sessionFiles, start time.Time, game, conn string) {
	w := &f.w
	open := f.openFile
	if open == nil {
		open = func(name string, flag int, perm os.FileMode) (io.WriteCloser, error) {
			return os.OpenFile(name, flag, perm)
		}
	}
	lw, err := sessionlog.Create(sessionlog.Options{Dir: f.o.Dir, Game: game, Session: conn, Secrets: f.o.Secrets,
		Program: f.o.Program, OpenFile: open, Now: func() time.Time { return start }})
	if err != nil {
		sf.gone.Store(true)
		if !w.createFailed {
			w.createFailed = true
			f.o.Logger.Warn("session log not written; sessions go on without logs until one can be created",
				zap.String("conn", conn), zap.String("dir", f.o.Dir), zap.Error(err))
		}
		return
	}
	if w.createFailed {
		w.createFailed = false
		f.o.Logger.Info("session logs written again", zap.String("file", lw.Path()))
	}
	sf.log = lw
	if !f.o.SessionCaptures {
		return
	}
	file, err := open(lw.CapturePath(), os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err == nil {
		sf.pcap, err = pcapng.NewWriter(file)
		if err != nil {
			_ = file.Close()
		} else {
			sf.pcapFile = file
		}
	}
	if err != nil {
		f.o.Logger.Warn("session capture not written", zap.String("conn", conn), zap.Error(err))
	}
}

// closeFiles closes sf's files; records queued after it are ignored.
func (f *File) closeFiles(sf *sessionFiles) {
	if sf.closed {
		return
	}
	sf.closed = true
	if sf.log != nil {
		if err := sf.log.Close(); err != nil && !sf.logBad {
			sf.logBad = true
			f.o.Logger.Warn("session log not closed cleanly", zap.String("file", sf.log.Path()), zap.Error(err))
		}
	}
	if sf.pcap != nil {
		err := sf.pcap.Close()
		if cerr := sf.pcapFile.Close(); err == nil {
			err = cerr
		}
		if err != nil && !sf.pcapBad {
			sf.pcapBad = true
			f.o.Logger.Warn("session capture not closed cleanly", zap.String("file", sf.log.CapturePath()), zap.Error(err))
		}
	}
}
