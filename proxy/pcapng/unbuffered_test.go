package pcapng

import (
	"bytes"
	"io"
	"net/netip"
	"runtime"
	"testing"
	"time"
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
	const n = 500
	ws := make([]*Writer, 0, n)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.GC() // and the block pool's victims
	runtime.ReadMemStats(&before)
	for i := range n {
		w, err := NewWriter(io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WritePacket(testPacket(i)); err != nil {
			t.Fatal(err)
		}
		ws = append(ws, w)
	}
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / n
	t.Logf("heap per idle capture: %d bytes", per)
	if per > 1<<10 {
		t.Errorf("an idle capture holds %d bytes of heap, want under 1 KiB", per)
	}
	runtime.KeepAlive(ws)
}
