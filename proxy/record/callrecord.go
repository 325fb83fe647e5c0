package record

import (
	"github.com/nexproxy/nexproxy/proxy/record/sessionlog"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// CallRecord is the session log record of a call, as File writes it: its
// values rendered from e's decoded trees (none when e has none). Other
// views of the calls (the web view) build on it so that they show what
// the session logs show.
func CallRecord(s *rpc.Session, e *CallEvent) sessionlog.Record { return callRecord(s, e) }
