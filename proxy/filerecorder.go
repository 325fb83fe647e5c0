package proxy

import (
	"context"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/proxy/pcapng"
	"github.com/nexproxy/nexproxy/proxy/sessionlog"
	"github.com/nexproxy/nexproxy/rmc/schema"
)

// FileRecorderOptions configure a FileRecorder.
type FileRecorderOptions struct {
	// Dir is the folder of the session logs; "" writes none.
	Dir string
	// Secrets writes passwords, keys and tickets unredacted.
	Secrets bool
	// SessionCaptures writes a pcapng capture per session log, beside it
	// (sessionlog.Writer.CapturePath); it needs Dir.
	SessionCaptures bool
	// Capture receives the traffic of every session (serve --pcapng);
	// nil = none. The caller closes it after the server.
	Capture *pcapng.Writer
	// Program goes into the session log headers ("nexproxy 1.2.0").
	Program string
	// Logger receives file errors; nil = none.
	Logger *zap.Logger
}

// FileRecorder writes one session log per console connection (the events
// of the upstream leg nexproxy opened for it included, as leg "upstream")
// and the decrypted RMC messages as pcapng captures. A file that cannot be
// written (disk full, folder gone) is logged once and then ignored: the
// session goes on without it.
type FileRecorder struct {
	o FileRecorderOptions

	mu       sync.Mutex
	sessions map[*Session]*sessionFiles

	createFailed atomic.Bool // a creation failure was logged; reset by a success
	captureBad   atomic.Bool // the process capture failed and was logged
}

// sessionFiles are the open files of one console connection.
type sessionFiles struct {
	log      *sessionlog.Writer // nil without session logs
	pcap     *pcapng.Writer     // nil without a session capture
	upstream bool               // an upstream leg was opened
	logBad   atomic.Bool        // a write error was logged
	pcapBad  atomic.Bool
}

// NewFileRecorder returns a recorder writing what o asks for. Close it
// after the server.
func NewFileRecorder(o FileRecorderOptions) *FileRecorder {
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	return &FileRecorder{o: o, sessions: map[*Session]*sessionFiles{}}
}

// WantsValues is true when session logs are written: captures hold the
// messages' bytes, not decoded values.
func (f *FileRecorder) WantsValues() bool { return f.o.Dir != "" }

// upstreamConn names the upstream leg of a console connection in logs.
func upstreamConn(s *Session) string { return "u" + s.ID }

// Connect opens the session's files and records the connection.
func (f *FileRecorder) Connect(s *Session, upstream string) {
	sf := &sessionFiles{upstream: upstream != ""}
	if f.o.Dir != "" {
		w, err := sessionlog.Create(sessionlog.Options{Dir: f.o.Dir, Game: s.Game, Session: s.ID, Secrets: f.o.Secrets, Program: f.o.Program})
		if err != nil {
			if !f.createFailed.Swap(true) {
				f.o.Logger.Warn("session log not written; sessions go on without logs until one can be created",
					zap.String("conn", s.ID), zap.String("dir", f.o.Dir), zap.Error(err))
			}
		} else {
			if f.createFailed.Swap(false) {
				f.o.Logger.Info("session logs written again", zap.String("file", w.Path()))
			}
			sf.log = w
			if f.o.SessionCaptures {
				p, err := pcapng.Create(w.CapturePath())
				if err != nil {
					f.o.Logger.Warn("session capture not written", zap.String("conn", s.ID), zap.Error(err))
				} else {
					sf.pcap = p
				}
			}
		}
	}
	f.mu.Lock()
	f.sessions[s] = sf
	f.mu.Unlock()

	open := sessionlog.Record{Type: sessionlog.TypeOpen, Game: s.Game, Conn: s.ID, Leg: sessionlog.LegConsole,
		Remote: s.RemoteAddr.String(), Server: s.Leg.String(), PID: s.PID()}
	if s.LocalAddr.IsValid() {
		open.Local = s.LocalAddr.String()
	}
	f.write(s, sf, open)
	if upstream != "" {
		f.write(s, sf, sessionlog.Record{Type: sessionlog.TypeOpen, Game: s.Game, Conn: upstreamConn(s), Leg: sessionlog.LegUpstream,
			Remote: upstream, Server: s.Leg.String()})
	}
}

// Login records a login with its PID and mode.
func (f *FileRecorder) Login(s *Session, pid uint64, mode string) {
	sf := f.get(s)
	if sf == nil {
		return
	}
	f.write(s, sf, sessionlog.Record{Type: sessionlog.TypeLogin, Game: s.Game, Conn: s.ID, PID: pid, Mode: mode})
}

// Call records one call with its decoded parameters and answer.
func (f *FileRecorder) Call(s *Session, e *CallEvent) {
	sf := f.get(s)
	if sf == nil || sf.log == nil {
		return
	}
	f.write(s, sf, callRecord(s, e))
}

// callRecord is the session log line of a call. Leg and CallID name the
// leg the call travelled to reach its answerer's side: a call the console
// made is on the console leg (its forwarded copy's id is
// UpstreamCallID); a call of the server that was forwarded to the console
// is shown on the console leg as well, with the server's id as
// UpstreamCallID, and one answered by nexproxy stays on the upstream leg.
func callRecord(s *Session, e *CallEvent) sessionlog.Record {
	r := sessionlog.Record{
		Type: sessionlog.TypeCall, Time: time.Now().Add(-e.Duration), Conn: s.ID, Leg: sessionlog.LegConsole,
		Dir: sessionlog.DirConsole, ProtocolID: e.Protocol, MethodID: e.Method, CallID: e.CallID,
		Duration: sessionlog.Duration(e.Duration), Handler: e.Handler,
	}
	switch {
	case e.Direction == ToServer:
		r.UpstreamCallID = e.ForwardedCallID
	case e.ForwardedCallID != 0:
		r.Dir = sessionlog.DirServer
		r.CallID, r.UpstreamCallID = e.ForwardedCallID, e.CallID
	default:
		r.Dir = sessionlog.DirServer
		r.Conn, r.Leg = upstreamConn(s), sessionlog.LegUpstream
	}
	if !strings.HasPrefix(e.ProtocolName, "Protocol(") {
		r.Protocol = e.ProtocolName
		if !strings.HasPrefix(e.MethodName, "Method(") {
			r.Method = e.MethodName
		}
	}
	r.Params, r.ParamsRaw = valueJSON(e.Request)
	r.Result, r.ResultRaw = valueJSON(e.Response)
	if e.Error != 0 {
		r.Error = sessionlog.ResultCode(e.Error)
		r.ErrorName, _ = e.Error.Name()
	}
	switch {
	case e.Dropped:
		r.Status = "dropped"
	case errors.Is(e.Err, context.DeadlineExceeded):
		r.Status = "timeout"
	case errors.Is(e.Err, ErrUpstreamGone):
		r.Status = "disconnected"
	}
	if e.Err != nil && !e.Dropped {
		r.Text = e.Err.Error()
	}
	return r
}

// valueJSON renders a decoded tree, or the hex of an undescribed body.
func valueJSON(v *schema.Value) ([]byte, string) {
	switch {
	case v == nil:
		return nil, ""
	case v.Kind == schema.KindRaw:
		if len(v.Bytes) == 0 {
			return nil, ""
		}
		return nil, hex.EncodeToString(v.Bytes)
	}
	return sessionlog.JSON(v), ""
}

// Disconnect records the end of the connection (and of its upstream leg)
// and closes the session's files.
func (f *FileRecorder) Disconnect(s *Session, err error) {
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
	f.write(s, sf, sessionlog.Record{Type: sessionlog.TypeClose, Game: s.Game, Conn: s.ID, Leg: sessionlog.LegConsole, Reason: reason})
	if sf.upstream {
		f.write(s, sf, sessionlog.Record{Type: sessionlog.TypeClose, Game: s.Game, Conn: upstreamConn(s), Leg: sessionlog.LegUpstream, Reason: reason})
	}
	f.closeFiles(s, sf)
}

// Message writes one RMC message to the captures.
func (f *FileRecorder) Message(s *Session, e *MessageEvent) {
	sf := f.get(s)
	if (sf == nil || sf.pcap == nil) && f.o.Capture == nil {
		return
	}
	m := e.Message
	p := pcapng.Packet{Time: e.Time, Src: e.Src, Dst: e.Dst, Payload: m.Encode(),
		Comment: pcapng.CallComment(e.ProtocolName, e.MethodName, m.CallID, !m.Request)}
	if !m.Request && !m.Success {
		p.Comment += " error " + m.Error.String()
	}
	if sf != nil && sf.pcap != nil {
		err := sf.pcap.WritePacket(p)
		if err == nil {
			err = sf.pcap.Flush()
		}
		if err != nil && !errors.Is(err, pcapng.ErrClosed) && !sf.pcapBad.Swap(true) {
			f.o.Logger.Warn("session capture write failed; the session goes on without it", zap.String("conn", s.ID), zap.Error(err))
		}
	}
	if c := f.o.Capture; c != nil {
		err := c.WritePacket(p)
		if err == nil {
			err = c.Flush()
		}
		if err != nil && !errors.Is(err, pcapng.ErrClosed) && !f.captureBad.Swap(true) {
			f.o.Logger.Warn("packet capture write failed; capture stopped", zap.Error(err))
		}
	}
}

// Close closes the files of sessions still open (the server closes them
// all before it returns, so normally none).
func (f *FileRecorder) Close() error {
	f.mu.Lock()
	open := f.sessions
	f.sessions = map[*Session]*sessionFiles{}
	f.mu.Unlock()
	for s, sf := range open {
		f.closeFiles(s, sf)
	}
	return nil
}

func (f *FileRecorder) get(s *Session) *sessionFiles {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sessions[s]
}

// write appends r to the session log and flushes, so that the file is
// readable while the session runs and complete after a crash.
func (f *FileRecorder) write(s *Session, sf *sessionFiles, r sessionlog.Record) {
	if sf.log == nil {
		return
	}
	err := sf.log.Write(r)
	if err == nil {
		err = sf.log.Flush()
	}
	if err != nil && !errors.Is(err, sessionlog.ErrClosed) && !sf.logBad.Swap(true) {
		f.o.Logger.Warn("session log write failed; the session goes on without it",
			zap.String("conn", s.ID), zap.String("file", sf.log.Path()), zap.Error(err))
	}
}

func (f *FileRecorder) closeFiles(s *Session, sf *sessionFiles) {
	if sf.log != nil {
		if err := sf.log.Close(); err != nil && !sf.logBad.Swap(true) {
			f.o.Logger.Warn("session log not closed cleanly", zap.String("conn", s.ID), zap.String("file", sf.log.Path()), zap.Error(err))
		}
	}
	if sf.pcap != nil {
		if err := sf.pcap.Close(); err != nil && !sf.pcapBad.Swap(true) {
			f.o.Logger.Warn("session capture not closed cleanly", zap.String("conn", s.ID), zap.Error(err))
		}
	}
}
