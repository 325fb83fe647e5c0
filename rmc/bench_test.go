package rmc

import (
	"bytes"
	"testing"
)

// matchmakeSession is a hand-written stand-in for the schema decoder of a
// NEX 4 MatchmakeSession inside an AnyDataHolder: the shape (two header
// levels, a nested structure, lists, buffers, strings, a map of variants) is
// what the proxy decodes and re-encodes on every matchmaking call.
type matchmakeSession struct {
	id, policy, policyArg, flags, state uint32
	owner, host                         uint64
	minP, maxP                          uint16
	description                         string
	gameMode                            uint32
	attribs                             []uint32
	open                                bool
	systemType                          uint32
	appBuffer                           []byte
	participation                       uint32
	progress                            uint8
	sessionKey                          []byte
	option                              uint32
	params                              []struct {
		k string
		v Variant
	}
	started  DateTime
	password string
	referGID uint32
	tails    [3][]byte
}

func (m *matchmakeSession) write(w *Writer) {
	w.AnyDataBegin("MatchmakeSession")
	w.StructBegin(0)
	w.U32(m.id)
	w.PID(m.owner)
	w.PID(m.host)
	w.U16(m.minP)
	w.U16(m.maxP)
	w.U32(m.policy)
	w.U32(m.policyArg)
	w.U32(m.flags)
	w.U32(m.state)
	w.String(m.description)
	w.StructEnd(m.tails[0])
	w.StructBegin(0)
	w.U32(m.gameMode)
	w.ListLen(len(m.attribs))
	for _, a := range m.attribs {
		w.U32(a)
	}
	w.Bool(m.open)
	w.U32(m.systemType)
	w.Buffer(m.appBuffer)
	w.U32(m.participation)
	w.U8(m.progress)
	w.Buffer(m.sessionKey)
	w.U32(m.option)
	w.StructBegin(0)
	w.ListLen(len(m.params))
	for _, p := range m.params {
		w.String(p.k)
		w.Variant(p.v)
	}
	w.StructEnd(m.tails[1])
	w.DateTime(m.started)
	w.String(m.password)
	w.U32(m.referGID)
	w.StructEnd(m.tails[2])
	w.AnyDataEnd()
}

func (m *matchmakeSession) read(r *Reader) {
	if r.AnyDataBegin() != "MatchmakeSession" {
		return
	}
	r.StructBegin()
	m.id = r.U32()
	m.owner = r.PID()
	m.host = r.PID()
	m.minP = r.U16()
	m.maxP = r.U16()
	m.policy = r.U32()
	m.policyArg = r.U32()
	m.flags = r.U32()
	m.state = r.U32()
	m.description = r.String()
	m.tails[0] = r.StructEnd()
	r.StructBegin()
	m.gameMode = r.U32()
	n := r.ListLen()
	m.attribs = m.attribs[:0]
	for i := 0; i < n && r.Err() == nil; i++ {
		m.attribs = append(m.attribs, r.U32())
	}
	m.open = r.Bool()
	m.systemType = r.U32()
	m.appBuffer = r.Buffer()
	m.participation = r.U32()
	m.progress = r.U8()
	m.sessionKey = r.Buffer()
	m.option = r.U32()
	r.StructBegin()
	n = r.ListLen()
	m.params = m.params[:0]
	for i := 0; i < n && r.Err() == nil; i++ {
		k := r.String()
		m.params = append(m.params, struct {
			k string
			v Variant
		}{k, r.Variant()})
	}
	m.tails[1] = r.StructEnd()
	m.started = r.DateTime()
	m.password = r.String()
	m.referGID = r.U32()
	m.tails[2] = r.StructEnd()
	r.AnyDataEnd()
}

func sampleSession() *matchmakeSession {
	return &matchmakeSession{
		id: 1234, owner: 0x1122334455667788, host: 0x1122334455667788, minP: 1, maxP: 8,
		description: "Proxy benchmark room", gameMode: 2, attribs: []uint32{1, 2, 3, 4, 5, 6},
		open: true, systemType: 1, appBuffer: bytes.Repeat([]byte{0xAB}, 64), participation: 3, progress: 100,
		sessionKey: bytes.Repeat([]byte{0xCD}, 32), option: 0,
		params: []struct {
			k string
			v Variant
		}{{"@SR", Variant{VariantBool, true}}, {"@GIR", VariantOfInt(3)}},
		started: 0x1F996B032B, password: "", referGID: 0,
	}
}

// encodedSession is the wire form of sampleSession.
func encodedSession() []byte {
	w := NewWriter(sw)
	sampleSession().write(w)
	return w.Bytes()
}

// TestMatchmakeSessionShape keeps the benchmark honest: the hand decoder
// must round-trip its own encoding.
func TestMatchmakeSessionShape(t *testing.T) {
	in := encodedSession()
	var m matchmakeSession
	r := NewReader(in, sw)
	m.read(r)
	if r.Err() != nil || r.Remaining() != 0 {
		t.Fatalf("%v, %d left", r.Err(), r.Remaining())
	}
	w := NewWriter(sw)
	m.write(w)
	if !bytes.Equal(w.Bytes(), in) || w.Err() != nil {
		t.Fatal("round trip differs")
	}
}

// BenchmarkMatchmakeSessionRoundTrip decodes and re-encodes one session
// with reused Reader and Writer, the proxy's steady state (target <= 10 µs).
func BenchmarkMatchmakeSessionRoundTrip(b *testing.B) {
	in := encodedSession()
	w := NewWriter(sw)
	var m matchmakeSession
	benchRead(b, in, sw, func(r *Reader) {
		m.read(r)
		w.Reset()
		m.write(w)
	})
	if !bytes.Equal(w.Bytes(), in) {
		b.Fatal("round trip differs")
	}
}

// benchRead runs decode over in with one reused Reader, reporting
// throughput and allocations.
func benchRead(b *testing.B, in []byte, s Settings, decode func(r *Reader)) {
	r := NewReader(nil, s)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(in, s)
		decode(r)
	}
}

func BenchmarkReaderScalars(b *testing.B) {
	benchRead(b, make([]byte, 1024), sw, func(r *Reader) {
		for r.Remaining() >= 15 {
			r.U8()
			r.U16()
			r.U32()
			r.U64()
		}
	})
}

// writeNestedStructs writes 64 two-level structures, the input of the
// struct-header benchmarks.
func writeNestedStructs(w *Writer) {
	for i := 0; i < 64; i++ {
		w.StructBegin(1)
		w.U32(uint32(i))
		w.StructBegin(0)
		w.String("name")
		w.StructEnd(nil)
		w.StructEnd(nil)
	}
}

func BenchmarkReaderStructHeaders(b *testing.B) {
	w := NewWriter(header)
	writeNestedStructs(w)
	benchRead(b, w.Bytes(), header, func(r *Reader) {
		for r.Remaining() > 0 && r.Err() == nil {
			r.StructBegin()
			r.U32()
			r.StructBegin()
			r.StringBytes()
			r.StructEnd()
			r.StructEnd()
		}
	})
}

func BenchmarkWriterStructHeaders(b *testing.B) {
	w := NewWriter(header)
	b.ReportAllocs()
	for b.Loop() {
		w.Reset()
		writeNestedStructs(w)
	}
}

func BenchmarkParseEncode(b *testing.B) {
	in := NewResponse(109, 41, 7, make([]byte, 300)).Encode()
	out := make([]byte, 0, len(in))
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		m, err := Parse(in)
		if err != nil {
			b.Fatal(err)
		}
		out = m.Append(out[:0])
	}
}

func BenchmarkStationURLRewrite(b *testing.B) {
	const s = "prudp:/address=127.0.0.1;port=36236;natf=0;natm=0;pmp=0;sid=15;type=2;upnp=0;PID=1234567;RVCID=1002"
	w := NewWriter(wiiu)
	w.String(s)
	in := append([]byte(nil), w.Bytes()...)
	r := NewReader(nil, wiiu)
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(in, wiiu)
		u := r.StationURL()
		u.SetAddress("192.168.1.20")
		u.SetPort(3074)
		w.Reset()
		w.StationURL(u)
	}
}
