package prudp

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestInteropNintendoClients runs a prudp Listener that answers the
// authentication login with RendezVous::InvalidUsername and checks that
// NintendoClients' client (the real thing, in Python) connects, gets the
// answer and disconnects. Skipped unless NEXPROXY_INTEROP names the
// interop directory (/tmp/interop, see shared/interop/README.md).
func TestInteropNintendoClients(t *testing.T) {
	dir := os.Getenv("NEXPROXY_INTEROP")
	if dir == "" {
		t.Skip("set NEXPROXY_INTEROP=/tmp/interop to run against NintendoClients")
	}
	py := "/usr/bin/python3"
	env := append(os.Environ(),
		"PYTHONPATH="+filepath.Join(dir, "src/NintendoClients")+":"+filepath.Join(dir, "src/anynet")+":"+filepath.Join(dir, "src/anyio/src")+":"+filepath.Join(dir, "shim"),
		"PYTHONDONTWRITEBYTECODE=1",
		"SSL_CERT_FILE="+filepath.Join(dir, "tls/ca.crt"))
	games := map[string]Settings{"friends": Friends(), "wiiu": WiiU(), "3ds": ThreeDS(), "switch": Switch()}
	keys := map[string]string{"friends": "ridfebb9", "wiiu": "25dbf96a", "3ds": "6181dff1", "switch": "fdf6617f"}
	for _, name := range []string{"friends", "wiiu", "3ds", "switch"} {
		t.Run(name, func(t *testing.T) {
			s := games[name]
			s.AccessKey = keys[name]
			if name == "wiiu" {
				s.MaxSubstream = 1
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var l *Listener
			var err error
			if name == "switch" {
				cert, cerr := tls.LoadX509KeyPair(filepath.Join(dir, "tls/server.crt"), filepath.Join(dir, "tls/server.key"))
				if cerr != nil {
					t.Fatal(cerr)
				}
				l, err = ListenWebSocket(ctx, "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}}, ListenConfig{Games: []Settings{s}})
			} else {
				l, err = Listen(ctx, "127.0.0.1:0", ListenConfig{Games: []Settings{s}})
			}
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			served := make(chan error, 1)
			go func() { served <- serveLoginError(ctx, l) }()
			_, port, _ := splitHostPort(l.Addr().String())
			cmd := exec.CommandContext(ctx, py, "testdata/interop_client.py", name, "127.0.0.1", port)
			cmd.Env = env
			out, err := cmd.CombinedOutput()
			t.Logf("NintendoClients: %s", out)
			if err != nil {
				t.Fatalf("client failed: %v", err)
			}
			if err := <-served; err != nil {
				t.Fatal(err)
			}
		})
	}
}

// serveLoginError answers the first RMC request on the first connection
// with RendezVous::InvalidUsername and waits for the peer to disconnect.
func serveLoginError(ctx context.Context, l *Listener) error {
	c, err := l.Accept(ctx)
	if err != nil {
		return err
	}
	m, err := c.Recv(ctx)
	if err != nil {
		return err
	}
	if len(m.Data) < 13 || m.Data[4] != 0x8a {
		return errorf("unexpected request %x", m.Data)
	}
	callID := binary.LittleEndian.Uint32(m.Data[5:])
	resp := binary.LittleEndian.AppendUint32([]byte{10, 0, 0, 0, 10, 0}, 0x80030064)
	resp = binary.LittleEndian.AppendUint32(resp, callID)
	if err := c.Send(ctx, 0, resp); err != nil {
		return err
	}
	select {
	case <-c.Done():
		return nil
	case <-ctx.Done():
		return errorf("client never disconnected")
	}
}

func errorf(format string, a ...any) error { return fmt.Errorf("interop: "+format, a...) }

func splitHostPort(s string) (string, string, error) { return net.SplitHostPort(s) }
