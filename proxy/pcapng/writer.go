package pcapng

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"sync"
	"time"
)

// Block types and option codes of the pcapng format
// (draft-ietf-opsawg-pcapng).
const (
	blockSHB = 0x0A0D0D0A
	blockIDB = 0x00000001
	blockEPB = 0x00000006

	byteOrderMagic = 0x1A2B3C4D

	optEndOfOpt   = 0
	optComment    = 1
	optShbUserApp = 4
	optIfName     = 2
	optIfTsResol  = 9

	// LinkTypeEthernet is LINKTYPE_ETHERNET, the link type of the one
	// interface every capture declares.
	LinkTypeEthernet = 1

	// maxComment bounds one packet comment: the option length field is 16
	// bits, and nothing useful needs more.
	maxComment = 4096
)

// ErrClosed is returned by writes after Close.
var ErrClosed = errors.New("pcapng: writer closed")

// Packet is one message to record.
type Packet struct {
	// Time stamps the packet (nanosecond resolution is kept).
	Time time.Time
	// Src and Dst are the real endpoints of the leg the message travelled.
	Src, Dst netip.AddrPort
	// Payload is the decrypted message.
	Payload []byte
	// Comment is shown by Wireshark as the packet comment, typically
	// CallComment's text.
	Comment string
}

// Writer writes one pcapng section with one Ethernet interface. It is safe
// for concurrent use: both legs of a session may write at once, and each
// packet is written whole.
type Writer struct {
	mu     sync.Mutex
	bw     *bufio.Writer
	closer io.Closer
	ipID   uint16
	err    error // first write error; the stream is unusable after it
	closed bool
}

// Create creates (truncating) the file at path and writes the capture
// headers to it.
func Create(path string) (*Writer, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("pcapng: create: %w", err)
	}
	w, err := newWriter(f, f)
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	return w, nil
}

// NewWriter writes the capture headers (section header and interface
// description) to w and returns a Writer appending packets to it. Close
// flushes but does not close w.
func NewWriter(w io.Writer) (*Writer, error) {
	return newWriter(w, nil)
}

func newWriter(w io.Writer, c io.Closer) (*Writer, error) {
	pw := &Writer{bw: bufio.NewWriterSize(w, 64<<10), closer: c}
	pw.writeBlock(blockSHB, shbBody(), []option{{optShbUserApp, []byte("nexproxy")}})
	pw.writeBlock(blockIDB, idbBody(), []option{
		{optIfName, []byte("nexproxy")},
		{optIfTsResol, []byte{9}}, // nanoseconds
	})
	if pw.err == nil {
		pw.err = pw.bw.Flush()
	}
	if pw.err != nil {
		return nil, fmt.Errorf("pcapng: write header: %w", pw.err)
	}
	return pw, nil
}

// WritePacket appends one Enhanced Packet Block. Addresses that are not
// valid are written as 0.0.0.0:0.
func (w *Writer) WritePacket(p Packet) error {
	src, dst := fixAddr(p.Src), fixAddr(p.Dst)
	payload := p.Payload
	comment := p.Comment
	if limit := maxPayload(src, dst); len(payload) > limit {
		comment = fmt.Sprintf("%s (truncated from %d bytes)", comment, len(payload))
		payload = payload[:limit]
	}
	if len(comment) > maxComment {
		comment = comment[:maxComment]
	}

	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return ErrClosed
	}
	if w.err != nil {
		return w.err
	}
	w.ipID++
	data := frame(src, dst, payload, w.ipID)
	origLen := len(data) + len(p.Payload) - len(payload)

	ts := uint64(p.Time.UnixNano())
	if p.Time.IsZero() || p.Time.UnixNano() < 0 {
		ts = 0
	}
	body := make([]byte, 20, 20+len(data)+3)
	binary.LittleEndian.PutUint32(body[0:4], 0) // interface 0
	binary.LittleEndian.PutUint32(body[4:8], uint32(ts>>32))
	binary.LittleEndian.PutUint32(body[8:12], uint32(ts))
	binary.LittleEndian.PutUint32(body[12:16], uint32(len(data)))
	binary.LittleEndian.PutUint32(body[16:20], uint32(origLen))
	body = append(body, data...)
	body = pad4(body)
	var opts []option
	if comment != "" {
		opts = append(opts, option{optComment, []byte(comment)})
	}
	w.writeBlock(blockEPB, body, opts)
	if w.err != nil {
		return fmt.Errorf("pcapng: write packet: %w", w.err)
	}
	return nil
}

// Flush writes buffered packets to the underlying writer.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return nil
	}
	if err := w.bw.Flush(); err != nil {
		w.err = err
		return fmt.Errorf("pcapng: flush: %w", err)
	}
	return nil
}

// Close flushes and, for a Writer from Create, closes the file. Further
// writes fail with ErrClosed; closing twice is harmless.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	err := w.err
	if err == nil {
		err = w.bw.Flush()
	}
	if w.closer != nil {
		if cerr := w.closer.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return fmt.Errorf("pcapng: close: %w", err)
	}
	return nil
}

type option struct {
	code  uint16
	value []byte
}

// writeBlock writes type, total length, body, options (ended by
// opt_endofopt) and the trailing length. Errors stick in w.err.
func (w *Writer) writeBlock(typ uint32, body []byte, opts []option) {
	if w.err != nil {
		return
	}
	optLen := 0
	if len(opts) > 0 {
		for _, o := range opts {
			optLen += 4 + (len(o.value)+3)&^3
		}
		optLen += 4 // opt_endofopt
	}
	total := 12 + len(body) + optLen
	buf := make([]byte, 0, total)
	buf = binary.LittleEndian.AppendUint32(buf, typ)
	buf = binary.LittleEndian.AppendUint32(buf, uint32(total))
	buf = append(buf, body...)
	if len(opts) > 0 {
		for _, o := range opts {
			buf = binary.LittleEndian.AppendUint16(buf, o.code)
			buf = binary.LittleEndian.AppendUint16(buf, uint16(len(o.value)))
			buf = append(buf, o.value...)
			buf = pad4(buf)
		}
		buf = binary.LittleEndian.AppendUint32(buf, optEndOfOpt)
	}
	buf = binary.LittleEndian.AppendUint32(buf, uint32(total))
	_, w.err = w.bw.Write(buf)
}

func shbBody() []byte {
	b := make([]byte, 16)
	binary.LittleEndian.PutUint32(b[0:4], byteOrderMagic)
	binary.LittleEndian.PutUint16(b[4:6], 1) // major
	binary.LittleEndian.PutUint16(b[6:8], 0) // minor
	// Section length unknown: the file is written as a stream.
	binary.LittleEndian.PutUint64(b[8:16], ^uint64(0))
	return b
}

func idbBody() []byte {
	b := make([]byte, 8)
	binary.LittleEndian.PutUint16(b[0:2], LinkTypeEthernet)
	binary.LittleEndian.PutUint32(b[4:8], 0) // no snap length limit
	return b
}

func pad4(b []byte) []byte {
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func fixAddr(a netip.AddrPort) netip.AddrPort {
	if !a.Addr().IsValid() {
		return netip.AddrPortFrom(netip.IPv4Unspecified(), a.Port())
	}
	return a
}
