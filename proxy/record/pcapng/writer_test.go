package pcapng

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"
)

// block is one parsed pcapng block.
type block struct {
	typ  uint32
	body []byte // between the length fields
}

// readBlocks parses a little-endian pcapng stream strictly: every block
// length must be a multiple of 4 and match its trailing copy.
func readBlocks(t *testing.T, b []byte) []block {
	t.Helper()
	var out []block
	for len(b) > 0 {
		if len(b) < 12 {
			t.Fatalf("trailing %d bytes", len(b))
		}
		typ := binary.LittleEndian.Uint32(b[0:4])
		n := int(binary.LittleEndian.Uint32(b[4:8]))
		if n%4 != 0 || n < 12 || n > len(b) {
			t.Fatalf("block %#x length %d (have %d)", typ, n, len(b))
		}
		if tail := int(binary.LittleEndian.Uint32(b[n-4 : n])); tail != n {
			t.Fatalf("block %#x trailing length %d != %d", typ, tail, n)
		}
		out = append(out, block{typ, b[8 : n-4]})
		b = b[n:]
	}
	return out
}

// options parses an options area into code → value.
func options(t *testing.T, b []byte) map[uint16][]byte {
	t.Helper()
	m := map[uint16][]byte{}
	if len(b) == 0 {
		return m // options are optional
	}
	for len(b) >= 4 {
		code := binary.LittleEndian.Uint16(b[0:2])
		n := int(binary.LittleEndian.Uint16(b[2:4]))
		if code == optEndOfOpt {
			return m
		}
		if 4+n > len(b) {
			t.Fatalf("option %d length %d overruns", code, n)
		}
		m[code] = b[4 : 4+n]
		b = b[4+(n+3)&^3:]
	}
	t.Fatal("options without opt_endofopt")
	return nil
}

type epb struct {
	ts      uint64
	data    []byte
	origLen int
	opts    map[uint16][]byte
}

func parseEPB(t *testing.T, b []byte) epb {
	t.Helper()
	capLen := int(binary.LittleEndian.Uint32(b[12:16]))
	e := epb{
		ts:      uint64(binary.LittleEndian.Uint32(b[4:8]))<<32 | uint64(binary.LittleEndian.Uint32(b[8:12])),
		origLen: int(binary.LittleEndian.Uint32(b[16:20])),
		data:    b[20 : 20+capLen],
	}
	e.opts = options(t, b[20+(capLen+3)&^3:])
	return e
}

func TestWriterStructure(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	when := time.Date(2024, 5, 1, 12, 0, 0, 123456789, time.UTC)
	src := netip.MustParseAddrPort("192.168.1.20:52000")
	dst := netip.MustParseAddrPort("10.0.0.1:60001")
	payload := []byte("\x11\x00\x00\x00\x8a\x01\x00\x00\x00\x04\x00\x00\x00\x06\x00guest\x00") // odd length
	if err := w.WritePacket(Packet{Time: when, Src: src, Dst: dst, Payload: payload, Comment: CallComment("Authentication", "Login", 1, false)}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	blocks := readBlocks(t, buf.Bytes())
	if len(blocks) != 3 || blocks[0].typ != blockSHB || blocks[1].typ != blockIDB || blocks[2].typ != blockEPB {
		t.Fatalf("blocks %+v", blocks)
	}
	if binary.LittleEndian.Uint32(blocks[0].body) != byteOrderMagic {
		t.Error("byte-order magic")
	}
	if lt := binary.LittleEndian.Uint16(blocks[1].body); lt != LinkTypeEthernet {
		t.Errorf("link type %d", lt)
	}
	if res := options(t, blocks[1].body[8:])[optIfTsResol]; !bytes.Equal(res, []byte{9}) {
		t.Errorf("if_tsresol %x", res)
	}
	e := parseEPB(t, blocks[2].body)
	if e.ts != uint64(when.UnixNano()) {
		t.Errorf("timestamp %d, want %d", e.ts, when.UnixNano())
	}
	if got := string(e.opts[optComment]); got != "Authentication.Login call 1 request" {
		t.Errorf("comment %q", got)
	}
	d := e.data
	if len(d) != 14+20+8+len(payload) || e.origLen != len(d) {
		t.Fatalf("frame length %d orig %d", len(d), e.origLen)
	}
	if binary.BigEndian.Uint16(d[12:14]) != etherTypeIPv4 {
		t.Error("ethertype")
	}
	ip := d[14:34]
	if checksum(sum(0, ip)) != 0 {
		t.Errorf("IPv4 header checksum %#04x does not verify", binary.BigEndian.Uint16(ip[10:12]))
	}
	if int(binary.BigEndian.Uint16(ip[2:4])) != 20+8+len(payload) {
		t.Error("IPv4 total length")
	}
	if !bytes.Equal(ip[12:16], []byte{192, 168, 1, 20}) || !bytes.Equal(ip[16:20], []byte{10, 0, 0, 1}) {
		t.Error("addresses")
	}
	udp := d[34:]
	if binary.BigEndian.Uint16(udp[0:2]) != 52000 || binary.BigEndian.Uint16(udp[2:4]) != 60001 ||
		int(binary.BigEndian.Uint16(udp[4:6])) != 8+len(payload) {
		t.Errorf("UDP header % x", udp[:8])
	}
	pseudo := sum(sum(0, ip[12:20]), []byte{0, protoUDP, byte(len(udp) >> 8), byte(len(udp))})
	if checksum(sum(pseudo, udp)) != 0 {
		t.Error("UDP checksum does not verify")
	}
	if !bytes.Equal(udp[8:], payload) {
		t.Error("payload")
	}
}

func TestWriterIPv6AndMixed(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	pkts := []Packet{
		{Src: netip.MustParseAddrPort("[2001:db8::1]:5000"), Dst: netip.MustParseAddrPort("[2001:db8::2]:6000"), Payload: []byte{1, 2, 3}},
		{Src: netip.MustParseAddrPort("127.0.0.1:5000"), Dst: netip.MustParseAddrPort("[::1]:6000"), Payload: []byte{4}},
		{Src: netip.MustParseAddrPort("[::ffff:10.0.0.1]:5000"), Dst: netip.MustParseAddrPort("10.0.0.2:6000"), Payload: []byte{5}},
		{Payload: []byte{6}}, // no addresses known
	}
	for _, p := range pkts {
		if err := w.WritePacket(p); err != nil {
			t.Fatal(err)
		}
	}
	_ = w.Close()
	blocks := readBlocks(t, buf.Bytes())[2:]
	wantType := []uint16{etherTypeIPv6, etherTypeIPv6, etherTypeIPv4, etherTypeIPv4}
	for i, b := range blocks {
		d := parseEPB(t, b.body).data
		if et := binary.BigEndian.Uint16(d[12:14]); et != wantType[i] {
			t.Errorf("packet %d ethertype %#x", i, et)
		}
		if wantType[i] == etherTypeIPv6 {
			ip, udp := d[14:54], d[54:]
			if int(binary.BigEndian.Uint16(ip[4:6])) != len(udp) {
				t.Errorf("packet %d payload length", i)
			}
			var tail [8]byte
			binary.BigEndian.PutUint32(tail[0:4], uint32(len(udp)))
			tail[7] = protoUDP
			if checksum(sum(sum(sum(0, ip[8:40]), tail[:]), udp)) != 0 {
				t.Errorf("packet %d UDP checksum", i)
			}
		}
	}
}

func TestWriterTruncatesOversizedMessage(t *testing.T) {
	var buf bytes.Buffer
	w, _ := NewWriter(&buf)
	big := make([]byte, 70000)
	if err := w.WritePacket(Packet{Src: netip.MustParseAddrPort("1.2.3.4:1"), Dst: netip.MustParseAddrPort("5.6.7.8:2"), Payload: big, Comment: "DataStore.GetObject call 9 response"}); err != nil {
		t.Fatal(err)
	}
	_ = w.Close()
	e := parseEPB(t, readBlocks(t, buf.Bytes())[2].body)
	if len(e.data) != 14+65535 {
		t.Errorf("captured %d bytes", len(e.data))
	}
	if e.origLen != 14+20+8+70000 {
		t.Errorf("original length %d", e.origLen)
	}
	if !strings.HasSuffix(string(e.opts[optComment]), "(truncated from 70000 bytes)") {
		t.Errorf("comment %q", e.opts[optComment])
	}
	if ip := e.data[14:34]; checksum(sum(0, ip)) != 0 || binary.BigEndian.Uint16(ip[2:4]) != 65535 {
		t.Error("truncated datagram header")
	}
}

func TestWriterConcurrent(t *testing.T) {
	var buf bytes.Buffer
	w, _ := NewWriter(&buf)
	var wg sync.WaitGroup
	const writers, each = 8, 50
	for g := 0; g < writers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				p := Packet{
					Time:    time.Unix(1700000000, int64(i)),
					Src:     netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(g)}), 5000),
					Dst:     netip.MustParseAddrPort("10.0.1.1:60000"),
					Payload: bytes.Repeat([]byte{byte(g)}, i+1),
					Comment: fmt.Sprintf("writer %d packet %d", g, i),
				}
				if err := w.WritePacket(p); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(readBlocks(t, buf.Bytes())); n != 2+writers*each {
		t.Errorf("%d blocks, want %d", n, 2+writers*each)
	}
	if err := w.WritePacket(Packet{}); !errors.Is(err, ErrClosed) {
		t.Errorf("write after close: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
}

type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errors.New("disk full")
	}
	f.n--
	return len(p), nil
}

func TestWriterReportsWriteErrors(t *testing.T) {
	if _, err := NewWriter(&failWriter{}); err == nil {
		t.Fatal("header write error not reported")
	}
	w, err := NewWriter(&failWriter{n: 1})
	if err != nil {
		t.Fatal(err)
	}
	p := Packet{Payload: make([]byte, 40000)}
	var last error
	for i := 0; i < 4 && last == nil; i++ {
		last = w.WritePacket(p)
	}
	if last == nil {
		last = w.Flush()
	}
	if last == nil || !strings.Contains(last.Error(), "disk full") {
		t.Errorf("error %v", last)
	}
	if err := w.Close(); err == nil {
		t.Error("Close hid the write error")
	}
}

func TestSettingsNote(t *testing.T) {
	if got := SettingsNote(30504, 4, true, nil); got != " [nex=30504 pid=4 structheader=1]" {
		t.Errorf("got %q", got)
	}
	if got := SettingsNote(40000, 8, false, []string{"mk8", "x"}); got != " [nex=40000 pid=8 structheader=0 variants=mk8,x]" {
		t.Errorf("got %q", got)
	}
}
