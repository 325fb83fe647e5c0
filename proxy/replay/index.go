package replay

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/internal/redacted"
	"github.com/nexproxy/nexproxy/proxy/record/sessionlog"
	"github.com/nexproxy/nexproxy/rmc"
)

// Options are what Load needs besides the files.
type Options struct {
	// Rules are the parameters left out of matching.
	Rules []Rule
	// Game, when set, serves every log's calls as this game's, whatever
	// game recorded them; otherwise a game is served the calls of the
	// logs its name recorded.
	Game string
	// Log receives warnings about records that cannot be replayed.
	Log *zap.Logger
}

// Index holds the recorded calls, ready to answer.
type Index struct {
	rules []Rule
	game  string
	log   *zap.Logger

	mu       sync.Mutex
	calls    map[string]*entry // by game + key; guarded by mu
	redacted bool              // some log was written without secrets
	stats    Stats
}

// Stats counts what Load read.
type Stats struct {
	// Files and Calls count the logs and the replayable calls they held.
	Files, Calls int
	// Distinct counts the different requests among the calls.
	Distinct int
	// Skipped counts calls without a response to replay (timed out,
	// disconnected, made by the server).
	Skipped int
	// Games lists the games the calls belong to.
	Games []string
}

// entry is one distinct request and its recorded responses, in order.
type entry struct {
	responses []*response
	next      int
}

// response is one recorded answer.
type response struct {
	result    json.RawMessage // return values as the log wrote them
	resultRaw string          // or the body in hex (undescribed method)
	err       rmc.Result      // or the error result
	drop      bool            // a hook dropped the call: no answer
	where     string          // file:line, for logs
}

// pending is a call read from a log, before it is ordered among the
// others.
type pending struct {
	game string
	rec  sessionlog.Record
	at   time.Time
	seq  int
	file string
	line int
}

// New returns an empty index.
func New(o Options) *Index {
	if o.Log == nil {
		o.Log = zap.NewNop()
	}
	return &Index{rules: o.Rules, game: o.Game, log: o.Log, calls: map[string]*entry{}}
}

// Load reads the session logs at paths (files, or folders whose *.jsonl
// files are read) into a new index.
func Load(paths []string, o Options) (*Index, error) {
	ix := New(o)
	var files []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("replay: %w", err)
		}
		if !st.IsDir() {
			files = append(files, p)
			continue
		}
		m, err := filepath.Glob(filepath.Join(p, "*.jsonl"))
		if err != nil {
			return nil, fmt.Errorf("replay: %s: %w", p, err)
		}
		sort.Strings(m) // named by start time
		files = append(files, m...)
	}
	if len(files) == 0 {
		return nil, errors.New("replay: no session log given")
	}
	var all []pending
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return nil, fmt.Errorf("replay: %w", err)
		}
		calls, err := ix.read(f, name, len(all))
		f.Close()
		if err != nil {
			return nil, err
		}
		all = append(all, calls...)
	}
	ix.add(all)
	return ix, nil
}

// Read adds the calls of one session log (name labels it in errors).
func (ix *Index) Read(r io.Reader, name string) error {
	calls, err := ix.read(r, name, 0)
	if err != nil {
		return err
	}
	ix.add(calls)
	return nil
}

// read collects the replayable calls of one log. A log cut off in its
// last line (a crash mid-write) keeps the calls before it.
func (ix *Index) read(r io.Reader, name string, seq int) ([]pending, error) {
	sr, err := sessionlog.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("replay: %s: %w", name, err)
	}
	h := sr.Header()
	ix.mu.Lock()
	ix.stats.Files++
	if !h.Secrets {
		ix.redacted = true
	}
	ix.mu.Unlock()
	var out []pending
	line := 1
	for {
		rec, err := sr.Next()
		line++
		if err == io.EOF {
			return out, nil
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			ix.log.Warn("replay: session log ends mid-record; its last line is ignored", zap.String("file", name))
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("replay: %s: %w", name, err)
		}
		if rec.Type != sessionlog.TypeCall {
			continue
		}
		if rec.Dir != sessionlog.DirConsole || rec.Side == sessionlog.SideUpstream || rec.Status != "" && rec.Status != "dropped" {
			ix.mu.Lock()
			ix.stats.Skipped++
			ix.mu.Unlock()
			continue
		}
		game := ix.game
		if game == "" {
			game = h.Game
		}
		if game == "" {
			game = rec.Game
		}
		out = append(out, pending{game: game, rec: rec, at: rec.Time, seq: seq + len(out), file: name, line: line})
	}
}

// add orders calls by the time they were made (across logs: two
// connections of one console interleave) and files them.
func (ix *Index) add(calls []pending) {
	sort.SliceStable(calls, func(i, j int) bool {
		if !calls[i].at.Equal(calls[j].at) {
			return calls[i].at.Before(calls[j].at)
		}
		return calls[i].seq < calls[j].seq
	})
	ix.mu.Lock()
	defer ix.mu.Unlock()
	for _, p := range calls {
		rec := &p.rec
		where := p.file + ":" + strconv.Itoa(p.line)
		key, err := ix.key(p.game, rec.Protocol, rec.ProtocolID, rec.Method, rec.MethodID, rec.Params, rec.ParamsRaw)
		if err != nil {
			ix.log.Warn("replay: call not replayable", zap.String("at", where), zap.Error(err))
			ix.stats.Skipped++
			continue
		}
		resp := &response{result: rec.Result, resultRaw: rec.ResultRaw, err: rmc.Result(rec.Error), drop: rec.Status == "dropped", where: where}
		if resp.err != 0 {
			resp.err |= rmc.ResultErrorBit
		}
		e := ix.calls[key]
		if e == nil {
			e = &entry{}
			ix.calls[key] = e
			ix.stats.Distinct++
			if !contains(ix.stats.Games, p.game) {
				ix.stats.Games = append(ix.stats.Games, p.game)
			}
		}
		e.responses = append(e.responses, resp)
		ix.stats.Calls++
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// key is the index key of a call of game.
func (ix *Index) key(game, protocol string, protocolID uint16, method string, methodID uint32, params json.RawMessage, raw string) (string, error) {
	var rules []*Rule
	for i := range ix.rules {
		if ix.rules[i].applies(protocol, protocolID, method, methodID) {
			rules = append(rules, &ix.rules[i])
		}
	}
	c, err := canonical(params, strings.ToLower(raw), rules)
	if err != nil {
		return "", err
	}
	return game + "\x00" + strconv.FormatUint(uint64(protocolID), 10) + "." + strconv.FormatUint(uint64(methodID), 10) + "\x00" + c, nil
}

// Stats reports what the index holds.
func (ix *Index) Stats() Stats {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	s := ix.stats
	s.Games = append([]string(nil), s.Games...)
	return s
}

// next returns the response for a request, nil when none was recorded:
// the recorded responses in order, then the last one again.
func (ix *Index) next(keys ...string) *response {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	for _, k := range keys {
		e := ix.calls[k]
		if e == nil {
			continue
		}
		r := e.responses[e.next]
		if e.next < len(e.responses)-1 {
			e.next++
		}
		return r
	}
	return nil
}

// body decodes the hex of an undescribed response; a body a log redacted
// comes back as zeros of its size.
func (r *response) rawBody() ([]byte, error) {
	if size, ok := redacted.Size(r.resultRaw); ok && size <= redacted.MaxBytes {
		return make([]byte, size), nil
	}
	b, err := hex.DecodeString(r.resultRaw)
	if err != nil {
		return nil, fmt.Errorf("recorded body at %s: %w", r.where, err)
	}
	return b, nil
}
