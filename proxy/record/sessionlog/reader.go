package sessionlog

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// MaxLineSize bounds one record. The largest RMC messages (DataStore
// objects, rankings) are a few hundred KiB, twice that in hex; a longer
// line means the file is not a session log.
const MaxLineSize = 64 << 20

// maxLineSize is MaxLineSize, lowered by tests.
var maxLineSize = MaxLineSize

// ErrNotSessionLog means the input does not start with a session log
// header.
var ErrNotSessionLog = errors.New("not a nexproxy session log")

// ErrUnsupportedVersion means the log was written in a newer major format
// version than this reader knows.
var ErrUnsupportedVersion = errors.New("unsupported session log version")

// Reader reads a session log record by record.
type Reader struct {
	br     *bufio.Reader
	header Record
	line   int
}

// NewReader reads and checks the header. It accepts format version 1 and
// refuses later major versions, whose fields this reader cannot interpret.
func NewReader(r io.Reader) (*Reader, error) {
	sr := &Reader{br: bufio.NewReaderSize(r, 64<<10)}
	line, err := sr.readLine()
	if err == io.EOF {
		return nil, fmt.Errorf("sessionlog: empty input: %w", ErrNotSessionLog)
	}
	if err != nil {
		return nil, err
	}
	var h Record
	if err := json.Unmarshal(line, &h); err != nil || h.Type != TypeHeader || h.Format != Format {
		return nil, fmt.Errorf("sessionlog: line 1: %w (the first line must be {\"type\":\"header\",\"format\":%q,...})", ErrNotSessionLog, Format)
	}
	switch {
	case h.Version > Version:
		return nil, fmt.Errorf("sessionlog: %w: the file is format version %d, this nexproxy reads version %d; use a newer nexproxy to read it",
			ErrUnsupportedVersion, h.Version, Version)
	case h.Version < 1:
		return nil, fmt.Errorf("sessionlog: %w: the header has no valid version (%d)", ErrUnsupportedVersion, h.Version)
	}
	sr.header = h
	return sr, nil
}

// Header returns the header record.
func (r *Reader) Header() Record { return r.header }

// Next returns the next record, or io.EOF after the last one. A line that
// is not a JSON object, or a record without type, is an error naming its
// line number; a cut-off last line (a crash mid-write) is one too.
func (r *Reader) Next() (Record, error) {
	for {
		line, err := r.readLine()
		if err != nil {
			return Record{}, err
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var rec Record
		if err := json.Unmarshal(line, &rec); err != nil {
			return Record{}, fmt.Errorf("sessionlog: line %d: %w", r.line, err)
		}
		if rec.Type == "" {
			return Record{}, fmt.Errorf("sessionlog: line %d: record without type", r.line)
		}
		return rec, nil
	}
}

// readLine returns the next line without its '\n', bounded by MaxLineSize.
func (r *Reader) readLine() ([]byte, error) {
	var buf []byte
	for {
		chunk, err := r.br.ReadSlice('\n')
		if len(buf)+len(chunk) > maxLineSize {
			return nil, fmt.Errorf("sessionlog: line %d: longer than %d bytes", r.line+1, maxLineSize)
		}
		buf = append(buf, chunk...)
		switch {
		case err == nil:
			r.line++
			return buf[:len(buf)-1], nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if len(buf) == 0 {
				return nil, io.EOF
			}
			r.line++
			return nil, fmt.Errorf("sessionlog: line %d: %w (the file ends mid-record)", r.line, io.ErrUnexpectedEOF)
		default:
			return nil, fmt.Errorf("sessionlog: read: %w", err)
		}
	}
}
