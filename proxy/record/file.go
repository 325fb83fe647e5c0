package record

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/proxy/record/pcapng"
	"github.com/nexproxy/nexproxy/proxy/record/sessionlog"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/rpc"
	"github.com/nexproxy/nexproxy/rmc/schema"
)

// FileOptions configure a File.
type FileOptions struct {
	// Dir is the folder of the session logs; "" writes none.
	Dir string
	// Secrets writes passwords, keys and tickets unredacted.
	Secrets bool
	// SessionCaptures writes a pcapng capture per session log, beside it
	// (sessionlog.Writer.CapturePath); it needs Dir.
	SessionCaptures bool
	// Capture receives the traffic of every session (serve --pcapng);
	// nil = none. The File writes it from its writer goroutine;
	// the caller closes it after File.Close.
	Capture *pcapng.Writer
	// Program goes into the session log headers ("nexproxy 1.2.0").
	Program string
	// Logger receives file errors; nil = none.
	Logger *zap.Logger
	// Registry decodes the calls' bodies for the session logs; it must
	// describe what the server's does (proxy Options.Registry). nil means
	// schema.Default().
	Registry *schema.Registry
}

// File writes one session log per console connection (the events
// of the upstream connection nexproxy opened for it included, as "leg":"upstream")
// and the decrypted RMC messages as pcapng captures. A file that cannot be
// written (disk full, folder gone) is logged once and then ignored: the
// session goes on without it.
//
// No file is touched on the packet path, and no call is decoded there:
// each event is turned into its record with copies of the call's bodies
// and put on a bounded queue without waiting (values another recorder
// had decoded are rendered at once instead, since the trees belong to
// the call); one
// writer goroutine per File creates, writes and closes the files,
// batching what is queued, in order per session. It writes whenever it
// takes records off the queue, so a session log is readable while the
// session runs, at most milliseconds behind; records still queued when the
// process crashes are lost. A disk that blocks or cannot keep up stalls
// only the writer: once FileQueue records wait, new ones are
// dropped and counted (Dropped), with one warning per episode of drops and
// a note when the writer has caught up. A session whose file creation was
// dropped has no log.
type File struct {
	o FileOptions
	// openFile opens the files; nil = os.OpenFile. Tests swap the disk.
	openFile func(name string, flag int, perm os.FileMode) (io.WriteCloser, error)

	mu       sync.Mutex
	sessions map[*rpc.Session]*sessionFiles

	q fileQueue
	w fileWriter // owned by the writer goroutine
}

// FileQueue is how many records and captured messages a
// File holds for its writer before it drops new ones: a few
// seconds of a busy server, a few megabytes at most.
const FileQueue = 4096

// sessionFiles are the files of one console connection. upstream and lost
// are fixed when Connect publishes it, gone is set by the writer and read
// by the packet path, and the writer goroutine owns the others.
type sessionFiles struct {
	upstream bool        // an upstream connection was opened
	lost     bool        // the queue dropped the creation: no files
	gone     atomic.Bool // the writer could not create the log: send nothing

	log      *sessionlog.Writer // nil without session logs
	pcap     *pcapng.Writer     // nil without a session capture
	pcapFile io.Closer          // under pcap
	closed   bool               // closed by the writer: ignore late records
	logBad   bool               // a write error was logged
	pcapBad  bool
	touched  bool    // in fileWriter.touched
	recs     []int32 // the batch's records for log, in order
	pkts     []int32 // the batch's messages for pcap, in order
}

// NewFile returns a recorder writing what o asks for. Close it
// after the server; its writer goroutine starts with the first event.
func NewFile(o FileOptions) *File {
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.Registry == nil {
		o.Registry = schema.Default()
	}
	f := &File{o: o, sessions: map[*rpc.Session]*sessionFiles{}}
	f.q.init(FileQueue)
	return f
}

// Dropped is how many records and captured messages were not written
// because FileQueue of them already waited for a slow disk (the
// creation of a session's files counts as one). It only grows.
func (f *File) Dropped() uint64 { return f.q.dropped.Load() }

// WantsValues is false: the File decodes the calls' bodies
// itself, on its writer goroutine, so that logging a call costs the packet
// path a copy rather than a decoding.
func (f *File) WantsValues() bool { return false }

// upstreamConn names the upstream connection of a console connection in logs.
func upstreamConn(s *rpc.Session) string { return "u" + s.ID }

// Connect has the session's files opened and records the connection.
func (f *File) Connect(s *rpc.Session, upstream string) {
	sf := &sessionFiles{upstream: upstream != ""}
	// The file is named after the connection's time, not the writer's.
	start := sessionlog.Record{Time: time.Now(), Game: s.Game, Conn: s.ID}
	if f.o.Dir != "" && !f.push(fileItem{op: opOpen, sf: sf, rec: start}) {
		sf.lost = true
	}
	f.mu.Lock()
	f.sessions[s] = sf
	f.mu.Unlock()

	open := sessionlog.Record{Type: sessionlog.TypeOpen, Game: s.Game, Conn: s.ID, Side: sessionlog.SideConsole,
		Remote: s.RemoteAddr.String(), Server: s.Leg.String(), PID: s.PID()}
	if s.LocalAddr.IsValid() {
		open.Local = s.LocalAddr.String()
	}
	open.Time = start.Time
	f.write(sf, open)
	if upstream != "" {
		f.write(sf, sessionlog.Record{Type: sessionlog.TypeOpen, Game: s.Game, Conn: upstreamConn(s), Side: sessionlog.SideUpstream,
			Remote: upstream, Server: s.Leg.String()})
	}
}

// Login records a login with its PID and mode.
func (f *File) Login(s *rpc.Session, pid uint64, mode string) {
	sf := f.get(s)
	if sf == nil {
		return
	}
	f.write(sf, sessionlog.Record{Type: sessionlog.TypeLogin, Game: s.Game, Conn: s.ID, PID: pid, Mode: mode})
}

// Call records one call with its decoded parameters and answer.
func (f *File) Call(s *rpc.Session, e *CallEvent) {
	sf := f.get(s)
	if !f.logging(sf) {
		return
	}
	r := callRecord(s, e)
	if e.Request != nil || e.Response != nil || e.Sent != nil || e.ReceivedValue != nil {
		f.write(sf, r)
		return
	}
	if r.Time.IsZero() {
		r.Time = time.Now()
	}
	f.push(fileItem{op: opRecord, sf: sf, rec: r, body: newCallBodies(s, e)})
}

// Script records a line a Lua hook logged for the session.
func (f *File) Script(s *rpc.Session, script, level, text string) {
	sf := f.get(s)
	if sf == nil {
		return
	}
	f.write(sf, sessionlog.Record{Type: sessionlog.TypeScript, Game: s.Game, Conn: s.ID, Script: script, Level: level, Text: text})
}

// callBodies are the copies of a call's bodies that the writer goroutine
// decodes into the record's values.
type callBodies struct {
	settings rmc.Settings
	reg      *schema.Registry // the game's, nil: the recorder's
	request  []byte
	response []byte // nil: no response values (error, one-way, dropped)
	// What a hook changed (CallEvent.SentBody, ReceivedBody): nil when
	// unchanged.
	sent, received []byte
}

func newCallBodies(s *rpc.Session, e *CallEvent) *callBodies {
	b := &callBodies{settings: s.Settings, reg: e.Registry}
	// One allocation for both copies.
	buf := make([]byte, 0, len(e.RequestBody)+len(e.ResponseBody))
	buf = append(buf, e.RequestBody...)
	b.request = buf[:len(buf):len(buf)]
	if e.ResponseBody != nil {
		b.response = append(buf[len(buf):], e.ResponseBody...)
	}
	if e.SentBody != nil {
		b.sent = bytes.Clone(e.SentBody)
		if b.sent == nil {
			b.sent = []byte{}
		}
	}
	if e.ReceivedBody != nil {
		b.received = bytes.Clone(e.ReceivedBody)
		if b.received == nil {
			b.received = []byte{}
		}
	}
	return b
}

// decodeValues fills r's values from b, as callRecord does from decoded
// trees. It runs on the writer goroutine.
func (f *File) decodeValues(r *sessionlog.Record, b *callBodies) {
	reg := f.o.Registry
	if b.reg != nil {
		reg = b.reg
	}
	req, _ := reg.DecodeOrRaw(r.ProtocolID, r.MethodID, true, b.request, b.settings)
	r.Params, r.ParamsRaw = ValueJSON(req)
	if b.response != nil {
		resp, _ := reg.DecodeOrRaw(r.ProtocolID, r.MethodID, false, b.response, b.settings)
		r.Result, r.ResultRaw = ValueJSON(resp)
	}
	if b.sent != nil {
		v, _ := reg.DecodeOrRaw(r.ProtocolID, r.MethodID, true, b.sent, b.settings)
		r.SentParams, r.SentParamsRaw = ValueJSON(v)
	}
	if b.received != nil {
		v, _ := reg.DecodeOrRaw(r.ProtocolID, r.MethodID, false, b.received, b.settings)
		r.ReceivedResult, r.ReceivedResultRaw = ValueJSON(v)
	}
}

// callRecord is the session log line of a call, with the values of e's
// decoded trees (none when e has none). Side and CallID name the
// connection the call travelled to reach its answerer: a call the console
// made is on the console connection (its forwarded copy's id is
// UpstreamCallID); a call of the server that was forwarded to the console
// is shown on the console connection as well, with the server's id as
// UpstreamCallID, and one answered by nexproxy stays on the upstream connection.
func callRecord(s *rpc.Session, e *CallEvent) sessionlog.Record {
	r := sessionlog.Record{
		Type: sessionlog.TypeCall, Time: time.Now().Add(-e.Duration), Conn: s.ID, Side: sessionlog.SideConsole,
		Dir: sessionlog.DirConsole, ProtocolID: e.Protocol, MethodID: e.Method, CallID: e.CallID,
		Duration: sessionlog.Duration(e.Duration), Handler: e.Handler,
	}
	switch {
	case e.Direction == rpc.ToServer:
		r.UpstreamCallID = e.ForwardedCallID
	case e.ForwardedCallID != 0:
		r.Dir = sessionlog.DirServer
		r.CallID, r.UpstreamCallID = e.ForwardedCallID, e.CallID
	default:
		r.Dir = sessionlog.DirServer
		r.Conn, r.Side = upstreamConn(s), sessionlog.SideUpstream
	}
	if !strings.HasPrefix(e.ProtocolName, "Protocol(") {
		r.Protocol = e.ProtocolName
		if !strings.HasPrefix(e.MethodName, "Method(") {
			r.Method = e.MethodName
		}
	}
	r.Params, r.ParamsRaw = ValueJSON(e.Request)
	r.Result, r.ResultRaw = ValueJSON(e.Response)
	if e.Error != 0 {
		r.Error = sessionlog.ResultCode(e.Error)
		r.ErrorName, _ = e.Error.Name()
	}
	switch {
	case e.Dropped:
		r.Status = "dropped"
	case errors.Is(e.Err, context.DeadlineExceeded):
		r.Status = "timeout"
	case errors.Is(e.Err, rpc.ErrUpstreamGone):
		r.Status = "disconnected"
	}
	if e.Err != nil && !e.Dropped {
		r.Text = e.Err.Error()
	}
	r.ChangedBy = e.ChangedBy
	r.SentParams, r.SentParamsRaw = ValueJSON(e.Sent)
	r.ReceivedResult, r.ReceivedResultRaw = ValueJSON(e.ReceivedValue)
	r.ReceivedError = sessionlog.ResultCode(e.ReceivedError)
	return r
}

// valueJSON renders a decoded tree, or the hex of an undescribed body.
// The tree renders itself (AppendJSON) rather than through json.Marshal,
// which would check and copy the text once more; the session log's writer
// checks it when it writes the line.
func ValueJSON(v *schema.Value) ([]byte, string) {
	switch {
	case v == nil:
		return nil, ""
	case v.Kind == schema.KindRaw:
		if len(v.Bytes) == 0 {
			return nil, ""
		}
		return nil, hex.EncodeToString(v.Bytes)
	}
	return v.AppendJSON(nil), ""
}

// Disconnect records the end of the connection (and of its upstream connection)
// and has the session's files closed after its earlier records.
func (f *File) Disconnect(s *rpc.Session, err error) {
	f.mu.Lock()
	sf := f.sessions[s]
	delete(f.sessions, s)
	f.mu.Unlock()
	if sf == nil {
		return
	}
	reason := "closed"
	if err != nil {
		reason = err.Error()
	}
	f.write(sf, sessionlog.Record{Type: sessionlog.TypeClose, Game: s.Game, Conn: s.ID, Side: sessionlog.SideConsole, Reason: reason})
	if sf.upstream {
		f.write(sf, sessionlog.Record{Type: sessionlog.TypeClose, Game: s.Game, Conn: upstreamConn(s), Side: sessionlog.SideUpstream, Reason: reason})
	}
	f.closeLater(sf)
}

// Message queues one RMC message for the captures.
func (f *File) Message(s *rpc.Session, e *MessageEvent) {
	sf := f.get(s)
	session := f.o.SessionCaptures && f.logging(sf)
	process := f.o.Capture != nil && !f.w.captureBad.Load()
	if !session && !process {
		return
	}
	m := e.Message
	p := pcapng.Packet{Time: e.Time, Src: e.Src, Dst: e.Dst, Payload: m.Encode(),
		Comment: pcapng.CallComment(e.ProtocolName, e.MethodName, m.CallID, !m.Request)}
	if !m.Request && !m.Success {
		p.Comment += " error " + m.Error.String()
	}
	var variants []string
	if e.Registry != nil {
		variants = e.Registry.ActiveVariants()
	}
	p.Comment += pcapng.SettingsNote(s.Settings.NEXVersion, s.Settings.PIDSize, s.Settings.StructHeader, variants)
	it := fileItem{op: opPacket, pkt: p, process: process}
	if session {
		it.sf = sf
	}
	f.push(it)
}

// Close has the files of sessions still open closed (the server closes
// them all before it returns, so normally none), waits until every queued
// record is written and stops the writer goroutine. The process capture
// (FileOptions.Capture) can be closed after it.
func (f *File) Close() error {
	f.mu.Lock()
	open := f.sessions
	f.sessions = map[*rpc.Session]*sessionFiles{}
	f.mu.Unlock()
	for _, sf := range open {
		f.closeLater(sf)
	}
	f.q.close()
	return nil
}

func (f *File) get(s *rpc.Session) *sessionFiles {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sessions[s]
}

// logging reports whether sf's session has (or will have) files to write.
func (f *File) logging(sf *sessionFiles) bool {
	return sf != nil && f.o.Dir != "" && !sf.lost && !sf.gone.Load()
}

// write queues r for the session log, stamped now: the writer may get to
// it later.
func (f *File) write(sf *sessionFiles, r sessionlog.Record) {
	if !f.logging(sf) {
		return
	}
	if r.Time.IsZero() {
		r.Time = time.Now()
	}
	f.push(fileItem{op: opRecord, sf: sf, rec: r})
}

// closeLater queues the closing of sf's files after its queued records;
// it is never dropped, so that no file stays open.
func (f *File) closeLater(sf *sessionFiles) {
	if f.o.Dir != "" && !sf.lost {
		f.q.force(f, fileItem{op: opClose, sf: sf}, false)
	}
}
