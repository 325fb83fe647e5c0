package pcapng

import (
	"bytes"
	"io"
	"net/netip"
	"testing"
	"time"

	"github.com/nexproxy/nexproxy/internal/heapgrowth"
)

// countingWriter counts the writes it gets.
type countingWriter struct {
	bytes.Buffer
	writes int
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.writes++
	return c.Buffer.Write(p)
}

func testPacket(i int) Packet {
	return Packet{
		Time:    time.Unix(1700000000, int64(i)),
		Src:     netip.MustParseAddrPort("10.0.0.1:5000"),
		Dst:     netip.MustParseAddrPort("10.0.1.1:60000"),
		Payload: bytes.Repeat([]byte{byte(i)}, 100+i),
		Comment: "packet",
	}
}

// TestWriterUnbuffered: the headers are one write and each packet is in
// the stream, whole, when WritePacket returns, without Flush.
func TestWriterUnbuffered(t *testing.T) {
	var out countingWriter
	w, err := NewWriter(&out)
	if err != nil {
		t.Fatal(err)
	}
	if out.writes != 1 || len(readBlocks(t, out.Bytes())) != 2 {
		t.Fatalf("headers in %d writes", out.writes)
	}
	for i := range 3 {
		if err := w.WritePacket(testPacket(i)); err != nil {
			t.Fatal(err)
		}
		if out.writes != 2+i || len(readBlocks(t, out.Bytes())) != 3+i {
			t.Fatalf("after packet %d: %d writes", i, out.writes)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestWritePacketsBatch: a batch is one write (per chunk), its packets in
// order with consecutive IP ids, identical to packets written one by one.
func TestWritePacketsBatch(t *testing.T) {
	var one, batch countingWriter
	w1, _ := NewWriter(&one)
	wb, _ := NewWriter(&batch)
	var ps []Packet
	for i := range 20 {
		ps = append(ps, testPacket(i))
		if err := w1.WritePacket(ps[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := wb.WritePackets(ps); err != nil {
		t.Fatal(err)
	}
	if batch.writes != 2 {
		t.Errorf("20 small packets in %d writes after the headers, want 1", batch.writes-1)
	}
	if !bytes.Equal(one.Bytes(), batch.Bytes()) {
		t.Error("a batch differs from the same packets written one by one")
	}
	// Larger than a chunk: whole blocks per write.
	batch.Reset()
	batch.writes = 0
	big := make([]Packet, 40)
	for i := range big {
		big[i] = Packet{Payload: make([]byte, 10000)}
	}
	if err := wb.WritePackets(big); err != nil {
		t.Fatal(err)
	}
	if batch.writes < 2 || len(readBlocks(t, batch.Bytes())) != 40 {
		t.Errorf("400 KB batch in %d writes", batch.writes)
	}
}

// TestWriterIdleMemory: an open capture holds no buffer between packets
// (one is open per session with log.pcapng).
func TestWriterIdleMemory(t *testing.T) {
	per := heapgrowth.PerCall(500, func(i int) any {
		w, err := NewWriter(io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WritePacket(testPacket(i)); err != nil {
			t.Fatal(err)
		}
		return w
	})
	t.Logf("heap per idle capture: %d bytes", per)
	if per > 1<<10 {
		t.Errorf("an idle capture holds %d bytes of heap, want under 1 KiB", per)
	}
}

// FuzzWritePackets: any packet, alone or in a batch, makes well-formed
// blocks (lengths, padding, options) whose capture holds the frame and
// whose comment is the one asked for, within its bound.
func FuzzWritePackets(f *testing.F) {
	f.Add([]byte{1, 2, 3}, "Ranking.UploadScore call 1 request", []byte{10, 0, 0, 1}, []byte{10, 0, 1, 1}, uint16(5000), uint8(3))
	f.Add([]byte{}, "", []byte{}, []byte{0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, uint16(0), uint8(1))
	f.Add(bytes.Repeat([]byte{0xff}, 1500), string(bytes.Repeat([]byte("é"), 3000)), []byte{127, 0, 0, 1}, []byte{}, uint16(65535), uint8(2))
	f.Fuzz(func(t *testing.T, payload []byte, comment string, src, dst []byte, port uint16, n uint8) {
		addr := func(b []byte) netip.AddrPort {
			a, _ := netip.AddrFromSlice(b)
			return netip.AddrPortFrom(a, port)
		}
		p := Packet{Time: time.Unix(0, int64(port)*1e6), Src: addr(src), Dst: addr(dst), Payload: payload, Comment: comment}
		ps := make([]Packet, int(n%8)+1)
		for i := range ps {
			ps[i] = p
		}
		var out bytes.Buffer
		w, err := NewWriter(&out)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WritePackets(ps); err != nil {
			t.Fatal(err)
		}
		blocks := readBlocks(t, out.Bytes())
		if len(blocks) != 2+len(ps) {
			t.Fatalf("%d blocks for %d packets", len(blocks), len(ps))
		}
		for _, b := range blocks[2:] {
			if b.typ != blockEPB {
				t.Fatalf("block type %#x", b.typ)
			}
			e := parseEPB(t, b.body)
			if got := e.data[len(e.data)-min(len(payload), len(e.data)):]; len(payload) <= maxUDPPayloadV4 && !bytes.Equal(got, payload) {
				t.Fatal("payload not at the end of the frame")
			}
			c := string(e.opts[optComment])
			if len(c) > maxComment || (len(comment) <= maxComment && len(payload) <= maxUDPPayloadV4 && c != comment) {
				t.Fatalf("comment %q for %q", c, comment)
			}
		}
	})
}
