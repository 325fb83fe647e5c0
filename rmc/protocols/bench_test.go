package protocols_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/protocols/matchmakeextension"
	"github.com/nexproxy/nexproxy/rmc/protocols/matchmaking"
	"github.com/nexproxy/nexproxy/rmc/schema"
	"github.com/nexproxy/nexproxy/rmc/typed"
)

// Wii U NEX 3.5.4 and NEX 3.8 (the tree benchmark's setting), with headers.
var (
	benchWiiU  = rmc.Settings{PIDSize: 4, StructHeader: true, NEXVersion: 30504}
	benchNex38 = rmc.Settings{PIDSize: 4, StructHeader: true, NEXVersion: 30810}
)

// benchSession is the MatchmakeSession of rmc/schema's benchmark: owner and
// host set, eight players, six attributes, 32-byte application data and
// session key, a one-entry MatchmakeParam (from NEX 3.6).
func benchSession() *matchmaking.MatchmakeSession {
	sess := matchmaking.NewMatchmakeSession()
	sess.Owner, sess.Host, sess.MaxParticipants = 1234567, 1234567, 8
	sess.Description, sess.GameMode = "Room of player 1234567", 3
	sess.Attribs[0], sess.Attribs[3] = 11, 4
	sess.ApplicationData, sess.SessionKey = make([]byte, 32), make([]byte, 32)
	sess.Param.Params = typed.Map[string, rmc.Variant]{{Key: "region", Value: rmc.Variant{Type: rmc.VariantUInt64, Value: uint64(2)}}}
	return sess
}

func benchCreateBody(b *testing.B, s rmc.Settings) []byte {
	req := matchmakeextension.CreateMatchmakeSessionRequest{Gathering: typed.Hold(benchSession()), NumParticipants: 1, HasNumParticipants: true}
	body, err := req.Encode(s)
	if err != nil {
		b.Fatal(err)
	}
	return body
}

// BenchmarkTypedMatchmakeSession decodes and re-encodes a bare
// MatchmakeSession (both levels with headers) at NEX 3.5.4.
func BenchmarkTypedMatchmakeSession(b *testing.B) {
	s := benchWiiU
	body, err := benchSession().Encode(s)
	if err != nil {
		b.Fatal(err)
	}
	var sess matchmaking.MatchmakeSession
	buf := make([]byte, 0, 512)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if err := sess.Decode(body, s); err != nil {
			b.Fatal(err)
		}
		if buf, err = sess.AppendTo(buf[:0], s); err != nil {
			b.Fatal(err)
		}
	}
	if !bytes.Equal(buf, body) {
		b.Fatal("round trip changed the bytes")
	}
}

// BenchmarkTypedCreateMatchmakeSession is the typed twin of rmc/schema's
// BenchmarkMatchmakeSessionRoundTrip: a CreateMatchmakeSession request (the
// session inside an AnyDataHolder) decoded and re-encoded.
func BenchmarkTypedCreateMatchmakeSession(b *testing.B) {
	for _, s := range []rmc.Settings{benchWiiU, benchNex38} {
		b.Run(fmt.Sprint(s.NEXVersion), func(b *testing.B) {
			body := benchCreateBody(b, s)
			var req matchmakeextension.CreateMatchmakeSessionRequest
			buf := make([]byte, 0, 512)
			var err error
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if err := req.Decode(body, s); err != nil {
					b.Fatal(err)
				}
				if buf, err = req.AppendTo(buf[:0], s); err != nil {
					b.Fatal(err)
				}
			}
			if !bytes.Equal(buf, body) {
				b.Fatal("round trip changed the bytes")
			}
		})
	}
}

// BenchmarkTreeCreateMatchmakeSession is the value tree on the same bodies,
// for comparison.
func BenchmarkTreeCreateMatchmakeSession(b *testing.B) {
	m := schema.Default().Method(matchmakeextension.ProtocolID, matchmakeextension.MethodCreateMatchmakeSession)
	for _, s := range []rmc.Settings{benchWiiU, benchNex38} {
		b.Run(fmt.Sprint(s.NEXVersion), func(b *testing.B) {
			body := benchCreateBody(b, s)
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				v, err := m.DecodeRequest(body, s)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := m.EncodeRequest(v, s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
