package sessionlog

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
)

// transcriptRawLimit is how many bytes of an undescribed body a transcript
// shows; the log file keeps all of them.
const transcriptRawLimit = 64

// TranscriptOptions tune a transcript.
type TranscriptOptions struct {
	// FullHex prints buffers whole; by default a buffer longer than 64
	// bytes shows its first 64 and its length (the log keeps them all).
	FullHex bool
}

// Log is one session log to transcribe, with the name that tags its lines
// when several are merged (its file name, say).
type Log struct {
	Name string
	R    *Reader
}

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
// the tags. Times are UTC; a line "# 2024-05-02" marks each new day.
// Events are in time order (a login is written when it completes, after
// the call it belongs to started). It stops at the end of the log, or at
// the first unreadable record after printing everything before it.
func WriteTranscript(w io.Writer, r *Reader) error {
	return WriteTranscripts(w, []Log{{R: r}}, TranscriptOptions{})
}

// WriteTranscripts prints several session logs as one transcript, their
// events merged in time order, each line tagged with its log's name when
// there is more than one.
func WriteTranscripts(w io.Writer, logs []Log, opts TranscriptOptions) error {
	bw := bufio.NewWriter(w)
	srcs := make([]*ordered, len(logs))
	first := time.Time{}
	for i, l := range logs {
		h := l.R.Header()
		writeHeader(bw, h, l.Name, len(logs) > 1)
		srcs[i] = &ordered{r: l.R, name: l.Name}
		if first.IsZero() || h.Time.Before(first) {
			first = h.Time
		}
	}
	day := first.UTC().Format("2006-01-02")
	var err error
	for {
		var best *ordered
		for _, o := range srcs {
			if rec, ok := o.peek(); ok && (best == nil || rec.Time.Before(best.buf[0].Time)) {
				best = o
			}
		}
		if best == nil {
			break
		}
		rec := best.pop()
		t := rec.Time.UTC()
		if d := t.Format("2006-01-02"); d != day {
			fmt.Fprintf(bw, "# %s\n", d)
			day = d
		}
		bw.WriteString(t.Format("15:04:05.000"))
		bw.WriteString("  ")
		if len(logs) > 1 {
			bw.WriteString("[" + best.name + "]  ")
		}
		bw.WriteString(eventLine(&rec, opts))
		bw.WriteByte('\n')
	}
	for _, o := range srcs {
		if o.err != nil && !errors.Is(o.err, io.EOF) && err == nil {
			err = o.err
			if len(logs) > 1 {
				err = fmt.Errorf("%s: %w", o.name, o.err)
			}
		}
	}
	if ferr := bw.Flush(); err == nil && ferr != nil {
		err = fmt.Errorf("sessionlog: write transcript: %w", ferr)
	}
	return err
}

func writeHeader(bw *bufio.Writer, h Record, name string, named bool) {
	fmt.Fprintf(bw, "# nexproxy session log, format %d", h.Version)
	if h.Program != "" {
		fmt.Fprintf(bw, ", written by %s", h.Program)
	}
	bw.WriteString("\n# ")
	if named {
		fmt.Fprintf(bw, "[%s] ", name)
	}
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
}

// reorderWindow is how far out of time order a writer may put records: a
// call is logged when it completes, with the time it started, after the
// events that happened while it ran.
const reorderWindow = 10 * time.Second

// ordered yields one log's records in time order, holding at most the
// records of one reorder window.
type ordered struct {
	r    *Reader
	name string
	buf  []Record // sorted by time
	err  error    // the reader's end (io.EOF) or failure
}

// peek returns the earliest record not yet popped.
func (o *ordered) peek() (Record, bool) {
	for o.err == nil && (len(o.buf) == 0 || o.buf[len(o.buf)-1].Time.Sub(o.buf[0].Time) < reorderWindow) {
		rec, err := o.r.Next()
		if err != nil {
			o.err = err
			break
		}
		// Insert keeping time order, after equal times (stable).
		i := sort.Search(len(o.buf), func(i int) bool { return o.buf[i].Time.After(rec.Time) })
		o.buf = append(o.buf, Record{})
		copy(o.buf[i+1:], o.buf[i:])
		o.buf[i] = rec
	}
	if len(o.buf) == 0 {
		return Record{}, false
	}
	return o.buf[0], true
}

func (o *ordered) pop() Record {
	rec := o.buf[0]
	o.buf = o.buf[1:]
	return rec
}

// eventLine renders one record without its time.
func eventLine(r *Record, opts TranscriptOptions) string {
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
		writeCall(&b, r, opts)
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

func writeCall(b *strings.Builder, r *Record, opts TranscriptOptions) {
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
	if p := body(r.Params, r.ParamsRaw, opts); p != "" {
		b.WriteString(" " + p)
	}
	if p := body(r.SentParams, r.SentParamsRaw, opts); p != "" {
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
		if res := body(r.Result, r.ResultRaw, opts); res != "" {
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
		b.WriteString(" (received " + body(r.ReceivedResult, r.ReceivedResultRaw, opts) + ")")
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

// body renders decoded JSON (its long buffers shortened), or an
// undescribed body as (shortened) hex.
func body(decoded json.RawMessage, raw string, opts TranscriptOptions) string {
	if len(decoded) > 0 {
		if opts.FullHex {
			return string(decoded)
		}
		return shortenHex(decoded)
	}
	if raw == "" {
		return ""
	}
	if strings.HasPrefix(raw, "<") { // a redaction placeholder
		return raw
	}
	if len(raw) > 2*transcriptRawLimit && !opts.FullHex {
		return fmt.Sprintf("raw %s… (%d bytes)", raw[:2*transcriptRawLimit], len(raw)/2)
	}
	return "raw " + raw
}

// shortenHex rewrites every JSON string of decoded that is a hex buffer
// longer than transcriptRawLimit bytes as its first bytes and its length:
// a 6,000-byte common data would otherwise fill a screen.
func shortenHex(decoded json.RawMessage) string {
	var b strings.Builder
	s := string(decoded)
	for i := 0; i < len(s); {
		if s[i] != '"' {
			b.WriteByte(s[i])
			i++
			continue
		}
		// A string token: find its end, minding escapes.
		j := i + 1
		for j < len(s) && s[j] != '"' {
			if s[j] == '\\' {
				j++
			}
			j++
		}
		if j >= len(s) {
			b.WriteString(s[i:])
			break
		}
		tok := s[i+1 : j]
		if len(tok) > 2*transcriptRawLimit && len(tok)%2 == 0 && isHex(tok) {
			fmt.Fprintf(&b, "\"%s… (%d bytes)\"", tok[:2*transcriptRawLimit], len(tok)/2)
		} else {
			b.WriteString(s[i : j+1])
		}
		i = j + 1
	}
	return b.String()
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
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
