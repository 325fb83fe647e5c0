package pcapng

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
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
	// Src and Dst are the real endpoints of the connection the message travelled.
	Src, Dst netip.AddrPort
	// Payload is the decrypted message.
	Payload []byte
	// Comment is shown by Wireshark as the packet comment, typically
	// CallComment's text.
	Comment string
}

// Writer writes one pcapng section with one Ethernet interface. It is safe
// for concurrent use: both sides of a session may write at once, and each
// packet is written whole. It keeps no buffer between writes: blocks are
// built in a pooled buffer and handed to the file whole, so an idle
// capture (one per open session) costs a few words.
type Writer struct {
	mu     sync.Mutex
	w      io.Writer
	closer io.Closer
	ipID   uint16
	err    error // first write error; the stream is unusable after it
	closed bool
}

// blockPool lends the scratch buffers blocks are built in.
var blockPool = sync.Pool{New: func() any { return new([]byte) }}

const (
	// chunkSize is how much of a batch WritePackets gathers before it
	// writes.
	chunkSize = 64 << 10
	// maxPooled is the largest buffer returned to blockPool, so that one
	// oversized message does not pin its buffer.
	maxPooled = 256 << 10
)

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
// does not close w.
func NewWriter(w io.Writer) (*Writer, error) {
	return newWriter(w, nil)
}

func newWriter(w io.Writer, c io.Closer) (*Writer, error) {
	pw := &Writer{w: w, closer: c}
	var hdr []byte
	hdr = appendBlock(hdr, blockSHB, shbBody(), []option{{optShbUserApp, []byte("nexproxy")}})
	hdr = appendBlock(hdr, blockIDB, idbBody(), []option{
		{optIfName, []byte("nexproxy")},
		{optIfTsResol, []byte{9}}, // nanoseconds
	})
	if _, err := w.Write(hdr); err != nil {
		return nil, fmt.Errorf("pcapng: write header: %w", err)
	}
	return pw, nil
}

// WritePacket appends one Enhanced Packet Block. Addresses that are not
// valid are written as 0.0.0.0:0. The block is in the file when
// WritePacket returns.
func (w *Writer) WritePacket(p Packet) error {
	ps := [1]Packet{p}
	return w.WritePackets(ps[:])
}

// WritePackets appends ps in order as WritePacket does, with one write per
// batch (per chunkSize of blocks): a burst of messages costs one system
// call.
func (w *Writer) WritePackets(ps []Packet) error {
	bp := blockPool.Get().(*[]byte)
	defer putBlock(bp)
	buf := (*bp)[:0]

	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return ErrClosed
	}
	if w.err != nil {
		return w.err
	}
	for i := range ps {
		w.ipID++
		buf = appendPacket(buf, &ps[i], w.ipID)
		if len(buf) >= chunkSize {
			if err := w.write(buf); err != nil {
				*bp = buf
				return err
			}
			buf = buf[:0]
		}
	}
	err := w.write(buf)
	*bp = buf
	return err
}

// write hands whole blocks to the file; a failure sticks.
func (w *Writer) write(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	if _, err := w.w.Write(b); err != nil {
		w.err = fmt.Errorf("pcapng: write packet: %w", err)
		return w.err
	}
	return nil
}

func putBlock(bp *[]byte) {
	if cap(*bp) > maxPooled {
		return
	}
	*bp = (*bp)[:0]
	blockPool.Put(bp)
}

// appendPacket appends p's Enhanced Packet Block to b.
func appendPacket(b []byte, p *Packet, ipID uint16) []byte {
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
	data := frame(src, dst, payload, ipID)
	origLen := len(data) + len(p.Payload) - len(payload)

	ts := uint64(p.Time.UnixNano())
	if p.Time.IsZero() || p.Time.UnixNano() < 0 {
		ts = 0
	}
	var head [20]byte
	binary.LittleEndian.PutUint32(head[0:4], 0) // interface 0
	binary.LittleEndian.PutUint32(head[4:8], uint32(ts>>32))
	binary.LittleEndian.PutUint32(head[8:12], uint32(ts))
	binary.LittleEndian.PutUint32(head[12:16], uint32(len(data)))
	binary.LittleEndian.PutUint32(head[16:20], uint32(origLen))
	var opts []option
	if comment != "" {
		opts = []option{{optComment, []byte(comment)}}
	}
	return appendBlock(b, blockEPB, head[:], opts, data)
}

// Flush reports the first write error, if any: blocks are written when
// WritePacket returns, so nothing is left to flush.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// Close closes the file of a Writer from Create and reports the first
// write error. Further writes fail with ErrClosed; closing twice is
// harmless.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	err := w.err
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

// appendBlock appends a block to b: type, total length, the body parts
// (padded to 4 bytes together), options (ended by opt_endofopt) and the
// trailing length.
func appendBlock(b []byte, typ uint32, body []byte, opts []option, more ...[]byte) []byte {
	bodyLen := len(body)
	for _, m := range more {
		bodyLen += len(m)
	}
	padded := (bodyLen + 3) &^ 3
	optLen := 0
	if len(opts) > 0 {
		for _, o := range opts {
			optLen += 4 + (len(o.value)+3)&^3
		}
		optLen += 4 // opt_endofopt
	}
	total := 12 + padded + optLen
	b = slices.Grow(b, total)
	b = binary.LittleEndian.AppendUint32(b, typ)
	b = binary.LittleEndian.AppendUint32(b, uint32(total))
	b = append(b, body...)
	for _, m := range more {
		b = append(b, m...)
	}
	b = append(b, make([]byte, padded-bodyLen)...)
	if len(opts) > 0 {
		for _, o := range opts {
			b = binary.LittleEndian.AppendUint16(b, o.code)
			b = binary.LittleEndian.AppendUint16(b, uint16(len(o.value)))
			b = append(b, o.value...)
			b = append(b, make([]byte, (len(o.value)+3)&^3-len(o.value))...)
		}
		b = binary.LittleEndian.AppendUint32(b, optEndOfOpt)
	}
	return binary.LittleEndian.AppendUint32(b, uint32(total))
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

func fixAddr(a netip.AddrPort) netip.AddrPort {
	if !a.Addr().IsValid() {
		return netip.AddrPortFrom(netip.IPv4Unspecified(), a.Port())
	}
	return a
}
