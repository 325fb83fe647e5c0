package prudp

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/nexproxy/nexproxy/internal/testcert"
)

// testCert makes a throw-away self-signed certificate for 127.0.0.1.
func testCert(t testing.TB) (*tls.Config, *x509.CertPool) {
	t.Helper()
	p := testcert.New(t)
	return &tls.Config{Certificates: []tls.Certificate{p.Cert}}, p.Pool
}

// realRoundTrip listens, dials, exchanges messages of every size both
// ways, closes, and checks that no goroutine is left.
func realRoundTrip(t *testing.T, listen func(ctx context.Context, cfg ListenConfig) (*Listener, error), network string, addrOf func(*Listener) string, dc DialConfig) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, runs after every other cleanup
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	l, err := listen(ctx, ListenConfig{Games: []Settings{dc.Settings}})
	if err != nil {
		t.Fatal(err)
	}
	acc := make(chan *Conn, 1)
	go func() { c, _ := l.Accept(ctx); acc <- c }()
	cli, err := Dial(ctx, network, addrOf(l), dc)
	if err != nil {
		l.Close()
		t.Fatal(err)
	}
	srv := <-acc
	var msgs [][]byte
	for i, n := range []int{1, 200, 1300, 1301, 5000, 65536} {
		msgs = append(msgs, testMessage(i, n))
	}
	if err := exchange(ctx, cli, srv, 0, msgs); err != nil {
		t.Error("client->server:", err)
	}
	if err := exchange(ctx, srv, cli, 0, msgs); err != nil {
		t.Error("server->client:", err)
	}
	if err := cli.Close(); err != nil {
		t.Error(err)
	}
	<-srv.Done() // the graceful DISCONNECT reached the server
	if err := l.Close(); err != nil {
		t.Error(err)
	}
}

func TestUDPRoundTrip(t *testing.T) {
	for _, name := range []string{"v0", "v1-minor4", "friends"} {
		t.Run(name, func(t *testing.T) {
			s := fastSettings(variantProfiles()[name])
			realRoundTrip(t, func(ctx context.Context, cfg ListenConfig) (*Listener, error) {
				return Listen(ctx, "127.0.0.1:0", cfg)
			}, "udp", func(l *Listener) string { return l.Addr().String() }, DialConfig{Settings: s})
		})
	}
}

func TestWebSocketRoundTrip(t *testing.T) {
	s := Switch()
	s.AccessKey = "fdf6617f"
	t.Run("ws", func(t *testing.T) {
		realRoundTrip(t, func(ctx context.Context, cfg ListenConfig) (*Listener, error) {
			return ListenWebSocket(ctx, "127.0.0.1:0", nil, cfg)
		}, "ws", func(l *Listener) string { return l.Addr().String() }, DialConfig{Settings: s})
	})
	t.Run("wss", func(t *testing.T) {
		srvTLS, pool := testCert(t)
		realRoundTrip(t, func(ctx context.Context, cfg ListenConfig) (*Listener, error) {
			return ListenWebSocket(ctx, "127.0.0.1:0", srvTLS, cfg)
		}, "wss", func(l *Listener) string { return l.Addr().String() }, DialConfig{Settings: s, TLSConfig: &tls.Config{RootCAs: pool}})
	})
}

// TestWebSocketUntrustedCert: wss refuses a certificate it does not trust.
func TestWebSocketUntrustedCert(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, runs after every other cleanup
	s := Switch()
	s.AccessKey = "fdf6617f"
	srvTLS, _ := testCert(t)
	ctx := context.Background()
	l, err := ListenWebSocket(ctx, "127.0.0.1:0", srvTLS, ListenConfig{Games: []Settings{s}})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, pool2 := testCert(t)
	if _, err := Dial(ctx, "wss", l.Addr().String(), DialConfig{Settings: s, TLSConfig: &tls.Config{RootCAs: pool2}}); err == nil {
		t.Fatal("dial succeeded with an untrusted certificate")
	}
}

// TestLiteFramer: packets split across and packed into messages.
func TestLiteFramer(t *testing.T) {
	s := Switch()
	s.AccessKey = "fdf6617f"
	codec, _ := NewCodec(&s)
	var stream []byte
	var want [][]byte
	for i := range 5 {
		p := Packet{Source: VPort{10, 31}, Dest: VPort{10, 1}, Type: TypeData, Flags: FlagReliable | FlagNeedAck | FlagHasSize, Sequence: uint16(i), Payload: testMessage(i, i*300)}
		b, err := codec.Append(nil, &p, SigContext{})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, b)
		stream = append(stream, b...)
	}
	for _, chunk := range []int{1, 7, 12, 13, 500, len(stream)} {
		var f liteFramer
		var got [][]byte
		for off := 0; off < len(stream); off += chunk {
			end := min(off+chunk, len(stream))
			if err := f.feed(stream[off:end], func(b []byte) { got = append(got, append([]byte(nil), b...)) }); err != nil {
				t.Fatal(err)
			}
		}
		if len(got) != len(want) {
			t.Fatalf("chunk %d: %d packets, want %d", chunk, len(got), len(want))
		}
		for i := range got {
			if string(got[i]) != string(want[i]) {
				t.Fatalf("chunk %d: packet %d differs", chunk, i)
			}
		}
	}
	var f liteFramer
	if err := f.feed([]byte{0x81, 0, 0, 0}, func([]byte) {}); err == nil {
		t.Error("garbage accepted")
	}
}
