package sessionlog

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// transcriptRawLimit is how many bytes of an undescribed body a transcript
// shows; the log file keeps all of them.
const transcriptRawLimit = 64

// WriteTranscript prints the log read by r as a readable transcript, one
// line per event:
//
//	12:00:00.120  C→S    Ranking.UploadScore(5) {"score":1000} → ok  [upstream, 8ms]
//
// C→S marks calls the console made, S→C calls the server made to the
// console; protocols and methods the schema does not name show as their
// numbers (#127.#3). A call a hook changed shows what went on after its
// parameters ("⇒ sent {...}"), the answer as it came back after the one
// the caller got ("(received {...})"), and "changed by <script>" among
// the tags. Times are UTC; a line "# 2024-05-02" marks each new day. It
// stops at the end of the log, or at the first unreadable record after
// printing everything before it.
func WriteTranscript(w io.Writer, r *Reader) error {
	bw := bufio.NewWriter(w)
	h := r.Header()
	fmt.Fprintf(bw, "# nexproxy session log, format %d", h.Version)
	if h.Program != "" {
		fmt.Fprintf(bw, ", written by %s", h.Program)
	}
	bw.WriteString("\n# ")
	if h.Game != "" {
		fmt.Fprintf(bw, "game %s, ", h.Game)
	}
	if h.Session != "" {
		fmt.Fprintf(bw, "session %s, ", h.Session)
	}
	fmt.Fprintf(bw, "started %s UTC, ", h.Time.UTC().Format("2006-01-02 15:04:05.000"))
	if h.Secrets {
		bw.WriteString("secrets included\n")
	} else {
		bw.WriteString("secrets redacted\n")
	}
	day := h.Time.UTC().Format("2006-01-02")
	var err error
	for {
		var rec Record
		rec, err = r.Next()
		if err != nil {
			break
		}
		t := rec.Time.UTC()
		if d := t.Format("2006-01-02"); d != day {
			fmt.Fprintf(bw, "# %s\n", d)
			day = d
		}
		bw.WriteString(t.Format("15:04:05.000"))
		bw.WriteString("  ")
		bw.WriteString(eventLine(&rec))
		bw.WriteByte('\n')
	}
	if errors.Is(err, io.EOF) {
		err = nil
	}
	if ferr := bw.Flush(); err == nil && ferr != nil {
		err = fmt.Errorf("sessionlog: write transcript: %w", ferr)
	}
	return err
}

// eventLine renders one record without its time.
func eventLine(r *Record) string {
	var b strings.Builder
	switch r.Type {
	case TypeOpen, TypeClose:
		fmt.Fprintf(&b, "%-6s %s", r.Type, legName(r.Side))
		if r.Conn != "" {
			b.WriteString(" " + r.Conn)
		}
		if r.Type == TypeOpen {
			if r.Remote != "" || r.Local != "" {
				// Arrows point from the side that opened the connection.
				if r.Side == SideUpstream {
					fmt.Fprintf(&b, "  %s → %s", orDash(r.Local), orDash(r.Remote))
				} else {
					fmt.Fprintf(&b, "  %s → %s", orDash(r.Remote), orDash(r.Local))
				}
			}
			var what []string
			if r.Server != "" {
				what = append(what, r.Server)
			}
			if r.PRUDP != "" {
				what = append(what, "PRUDP "+r.PRUDP)
			}
			if r.Game != "" {
				what = append(what, "game "+r.Game)
			}
			if len(what) > 0 {
				b.WriteString("  " + strings.Join(what, ", "))
			}
		} else if r.Reason != "" {
			b.WriteString(": " + r.Reason)
		}
	case TypeLogin:
		fmt.Fprintf(&b, "login  PID %d", r.PID)
		if r.Username != "" {
			fmt.Fprintf(&b, " %q", r.Username)
		}
		if r.Mode != "" {
			b.WriteString(", " + r.Mode)
		}
		if r.Game != "" {
			b.WriteString(", game " + r.Game)
		}
	case TypeCall:
		writeCall(&b, r)
	case TypeScript:
		b.WriteString("script ")
		if r.Script != "" {
			b.WriteString(r.Script + " ")
		}
		if r.Level != "" {
			b.WriteString("[" + r.Level + "] ")
		}
		b.WriteString(r.Text)
	case TypeNote:
		b.WriteString("note   " + r.Text)
	default:
		// A newer writer's event: show it whole rather than lose it.
		raw, _ := json.Marshal(r)
		fmt.Fprintf(&b, "%-6s %s", r.Type, raw)
	}
	return b.String()
}

func writeCall(b *strings.Builder, r *Record) {
	switch r.Dir {
	case DirServer:
		b.WriteString("S→C    ")
	default:
		b.WriteString("C→S    ")
	}
	b.WriteString(nameOr(r.Protocol, uint32(r.ProtocolID)))
	b.WriteByte('.')
	b.WriteString(nameOr(r.Method, r.MethodID))
	b.WriteString("(" + strconv.FormatUint(uint64(r.CallID), 10))
	if r.UpstreamCallID != 0 {
		fmt.Fprintf(b, ", upstream %d", r.UpstreamCallID)
	}
	b.WriteByte(')')
	if p := body(r.Params, r.ParamsRaw); p != "" {
		b.WriteString(" " + p)
	}
	if p := body(r.SentParams, r.SentParamsRaw); p != "" {
		// What a hook passed on in place of what the caller sent.
		b.WriteString(" ⇒ sent " + p)
	}
	b.WriteString(" → ")
	switch {
	case r.Status != "":
		b.WriteString("(" + r.Status + ")")
	case r.Error != 0:
		b.WriteString("error " + r.Error.String())
		if r.ErrorName != "" {
			b.WriteString(" " + r.ErrorName)
		}
	default:
		if res := body(r.Result, r.ResultRaw); res != "" {
			b.WriteString(res)
		} else {
			b.WriteString("ok")
		}
	}
	// The answer a hook replaced, as it came back.
	switch {
	case r.ReceivedError != 0:
		b.WriteString(" (received error " + r.ReceivedError.String() + ")")
	case r.ReceivedResult != nil || r.ReceivedResultRaw != "":
		b.WriteString(" (received " + body(r.ReceivedResult, r.ReceivedResultRaw) + ")")
	}
	var tags []string
	if r.Handler != "" {
		tags = append(tags, r.Handler)
	}
	if r.Duration != 0 {
		tags = append(tags, Duration(r.Duration).text())
	}
	if r.Side == SideUpstream {
		tags = append(tags, "upstream leg")
	}
	if len(r.ChangedBy) > 0 {
		tags = append(tags, "changed by "+strings.Join(r.ChangedBy, ", "))
	}
	if len(tags) > 0 {
		b.WriteString("  [" + strings.Join(tags, ", ") + "]")
	}
}

func (d Duration) text() string {
	b, _ := d.MarshalJSON()
	return strings.Trim(string(b), `"`)
}

// body renders decoded JSON as is, or an undescribed body as (shortened) hex.
func body(decoded json.RawMessage, raw string) string {
	if len(decoded) > 0 {
		return string(decoded)
	}
	if raw == "" {
		return ""
	}
	if strings.HasPrefix(raw, "<") { // a redaction placeholder
		return raw
	}
	if len(raw) > 2*transcriptRawLimit {
		return fmt.Sprintf("raw %s… (%d bytes)", raw[:2*transcriptRawLimit], len(raw)/2)
	}
	return "raw " + raw
}

func nameOr(name string, id uint32) string {
	if name != "" {
		return name
	}
	return "#" + strconv.FormatUint(uint64(id), 10)
}

func legName(leg string) string {
	if leg == "" {
		return "connection"
	}
	return leg
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
