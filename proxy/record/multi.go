package record

import "github.com/nexproxy/nexproxy/rmc/rpc"

// Multi returns a Recorder that passes every event to each of rs in
// order (nil entries are skipped). It is a MessageRecorder when one of rs
// is, and then passes messages to those that are.
func Multi(rs ...Recorder) Recorder {
	var m multiRecorder
	var msg []MessageRecorder
	for _, r := range rs {
		if r == nil {
			continue
		}
		m = append(m, r)
		if mr, ok := r.(MessageRecorder); ok {
			msg = append(msg, mr)
		}
	}
	switch {
	case len(m) == 0:
		return nil
	case len(m) == 1:
		return m[0]
	case len(msg) > 0:
		return &multiMessageRecorder{multiRecorder: m, msg: msg}
	}
	return m
}

type multiRecorder []Recorder

// WantsValues is true when a member reads decoded calls.
func (m multiRecorder) WantsValues() bool {
	for _, r := range m {
		if WantsValues(r) {
			return true
		}
	}
	return false
}

func (m multiRecorder) Connect(s *rpc.Session, upstream string) {
	for _, r := range m {
		r.Connect(s, upstream)
	}
}

func (m multiRecorder) Login(s *rpc.Session, pid uint64, mode string) {
	for _, r := range m {
		r.Login(s, pid, mode)
	}
}

// WantsCalls is true when a member reads calls now.
func (m multiRecorder) WantsCalls() bool {
	for _, r := range m {
		if WantsCalls(r) {
			return true
		}
	}
	return false
}

func (m multiRecorder) Call(s *rpc.Session, e *CallEvent) {
	for _, r := range m {
		r.Call(s, e)
	}
}

// Script passes a hook's log line to the members that want them.
func (m multiRecorder) Script(s *rpc.Session, script, level, text string) {
	for _, r := range m {
		if sr, ok := r.(ScriptRecorder); ok {
			sr.Script(s, script, level, text)
		}
	}
}

func (m multiRecorder) Disconnect(s *rpc.Session, err error) {
	for _, r := range m {
		r.Disconnect(s, err)
	}
}

// multiMessageRecorder is a multiRecorder with members that want messages;
// a separate type so that a fan-out of plain recorders does not make the
// server trace every message for nobody.
type multiMessageRecorder struct {
	multiRecorder
	msg []MessageRecorder
}

func (m *multiMessageRecorder) Message(s *rpc.Session, e *MessageEvent) {
	for _, r := range m.msg {
		r.Message(s, e)
	}
}
