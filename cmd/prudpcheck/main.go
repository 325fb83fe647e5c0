// Command prudpcheck proves the prudp package against a real NEX server:
// it completes the PRUDP handshake with an authentication server, sends
// one hand-built RMC request (a login with an unknown user name) and
// checks the error response that comes back.
//
//	prudpcheck --profile wiiu --addr 127.0.0.1:60000
//	prudpcheck --profile switch --addr 127.0.0.1:60000 --ca /tmp/interop/tls/ca.crt
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/nexproxy/nexproxy/prudp"
)

// Requests as NintendoClients' client sends them (shared/vectors
// *-session.json, messages[0]): protocol 10 call id 1 with the user name
// "no-such-user". NEX < 4 titles get Login (method 1); the Switch profile
// (NEX 4) gets ValidateAndRequestTicketWithParam (method 6).
const (
	loginRequest   = "180000008a01000000010000000d006e6f2d737563682d7573657200"
	loginRequestV4 = "470000008a01000000060000000039000000030000000d006e6f2d737563682d757365720009004e756c6c44617461000e0000000a00000000000000000000000000009d9e00003c000000"
	// invalidUsername is RendezVous::InvalidUsername.
	invalidUsername = 0x80030064
)

type profile struct {
	settings prudp.Settings
	network  string
	request  string
}

func profiles() map[string]profile {
	friends := prudp.Friends()
	wiiu := prudp.WiiU()
	wiiu.AccessKey = "25dbf96a"
	wiiu.MaxSubstream = 1
	threeDS := prudp.ThreeDS()
	threeDS.AccessKey = "6181dff1"
	sw := prudp.Switch()
	sw.AccessKey = "fdf6617f"
	return map[string]profile{
		"friends": {friends, "udp", loginRequest},
		"wiiu":    {wiiu, "udp", loginRequest},
		"3ds":     {threeDS, "udp", loginRequest},
		"switch":  {sw, "wss", loginRequestV4},
	}
}

func main() {
	name := flag.String("profile", "wiiu", "friends, wiiu, 3ds or switch")
	addr := flag.String("addr", "127.0.0.1:60000", "authentication server host:port")
	ca := flag.String("ca", "", "CA certificate to trust for wss (switch)")
	timeout := flag.Duration("timeout", 10*time.Second, "overall time limit")
	flag.Parse()
	if err := run(*name, *addr, *ca, *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "prudpcheck:", err)
		os.Exit(1)
	}
}

func run(name, addr, ca string, timeout time.Duration) error {
	p, ok := profiles()[name]
	if !ok {
		return fmt.Errorf("unknown profile %q", name)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cfg := prudp.DialConfig{Settings: p.settings}
	if p.network == "wss" && ca != "" {
		pem, err := os.ReadFile(ca)
		if err != nil {
			return err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("no certificate in %s", ca)
		}
		cfg.TLSConfig = &tls.Config{RootCAs: pool}
	}
	t0 := time.Now()
	c, err := prudp.Dial(ctx, p.network, addr, cfg)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer c.Close()
	minor, fn, sub := c.Negotiated()
	fmt.Printf("connected: profile=%s variant=%s remote=%s minor=%d functions=%#x max_substream=%d (%v)\n",
		name, p.settings.Variant, c.RemoteAddr(), minor, fn, sub, time.Since(t0).Round(time.Microsecond))
	req, _ := hex.DecodeString(p.request)
	t1 := time.Now()
	if err := c.Send(ctx, 0, req); err != nil {
		return fmt.Errorf("send: %w", err)
	}
	m, err := c.Recv(ctx)
	if err != nil {
		return fmt.Errorf("recv: %w", err)
	}
	if err := checkError(m.Data, 10, 1, invalidUsername); err != nil {
		return fmt.Errorf("response %x: %w", m.Data, err)
	}
	fmt.Printf("response: %x (RendezVous::InvalidUsername, %v)\n", m.Data, time.Since(t1).Round(time.Microsecond))
	if err := c.Close(); err != nil {
		return err
	}
	fmt.Println("disconnected:", c.Err())
	return nil
}

// checkError checks an RMC error response: u32 size, u8 protocol (no
// request bit), u8 success 0, u32 error code, u32 call id.
func checkError(b []byte, protocol uint8, callID, code uint32) error {
	if len(b) != 14 || binary.LittleEndian.Uint32(b) != 10 {
		return errors.New("not a 14-byte RMC error response")
	}
	want := binary.LittleEndian.AppendUint32([]byte{10, 0, 0, 0, protocol, 0}, code)
	want = binary.LittleEndian.AppendUint32(want, callID)
	if !bytes.Equal(b, want) {
		return fmt.Errorf("want %x", want)
	}
	return nil
}
