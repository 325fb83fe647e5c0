package record

import (
	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// Zap logs connections, logins and calls on a zap logger: one line
// per event with conn, pid and call_id fields. Call lines are at debug
// level and carry names, not bodies, so no secret reaches info level.
func Zap(log *zap.Logger) Recorder { return zapRecorder{log} }

type zapRecorder struct{ log *zap.Logger }

// WantsValues is false: call lines carry names, not bodies.
func (z zapRecorder) WantsValues() bool { return false }

// WantsCalls is true while the logger logs call lines (debug level).
func (z zapRecorder) WantsCalls() bool { return z.log.Core().Enabled(zap.DebugLevel) }

func (z zapRecorder) Connect(s *rpc.Session, upstream string) {
	z.log.Debug("session open", zap.String("conn", s.ID), zap.String("game", s.Game), zap.String("leg", s.Leg.String()),
		zap.Stringer("remote", s.RemoteAddr), zap.String("upstream", upstream))
}

func (z zapRecorder) Login(s *rpc.Session, pid uint64, mode string) {
	z.log.Debug("session login", zap.String("conn", s.ID), zap.Uint64("pid", pid), zap.String("mode", mode))
}

func (z zapRecorder) Call(s *rpc.Session, e *CallEvent) {
	if ce := z.log.Check(zap.DebugLevel, "call"); ce != nil {
		fields := []zap.Field{zap.String("conn", s.ID), zap.Uint64("pid", s.PID()), zap.Uint32("call_id", e.CallID),
			zap.String("direction", e.Direction.String()), zap.String("method", e.ProtocolName+"."+e.MethodName),
			zap.String("handler", e.Handler), zap.Duration("took", e.Duration)}
		if e.Error != 0 {
			fields = append(fields, zap.Stringer("error", e.Error))
		}
		if e.Err != nil {
			fields = append(fields, zap.NamedError("failure", e.Err))
		}
		if len(e.ChangedBy) > 0 {
			fields = append(fields, zap.Strings("changed_by", e.ChangedBy))
		}
		ce.Write(fields...)
	}
}

func (z zapRecorder) Disconnect(s *rpc.Session, err error) {
	z.log.Debug("session closed", zap.String("conn", s.ID), zap.Uint64("pid", s.PID()), zap.NamedError("cause", err))
}
