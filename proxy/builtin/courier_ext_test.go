package builtin_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/nexproxy/nexproxy/internal/servicetest"
	"github.com/nexproxy/nexproxy/proxy/builtin"
	"github.com/nexproxy/nexproxy/rmc"
	nat "github.com/nexproxy/nexproxy/rmc/protocols/nattraversal"
	"github.com/nexproxy/nexproxy/rmc/protocols/notification"
	"github.com/nexproxy/nexproxy/rmc/protocols/secureconnection"

	_ "github.com/nexproxy/nexproxy/proxy/builtin/auth"
	_ "github.com/nexproxy/nexproxy/proxy/builtin/secure"
)

// TestCourierSubscriber: the host's subscriber drops malformed and
// misaddressed bus messages without harm, then delivers a well-formed
// notification and call to the local console, with the body matching
// its session's structure-header setting.
func TestCourierSubscriber(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	srv := servicetest.Start(t, servicetest.Game{Platform: "wiiu"}, nil)
	c := srv.Login(t, "1001:pw1")
	local, err := rmc.ParseStationURL("prudp:/address=192.168.0.1;port=40001;type=2")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := secureconnection.NewClient(c.Secure, c.Settings).Register(context.Background(), &secureconnection.RegisterRequest{URLs: []rmc.StationURL{local}}); err != nil {
		t.Fatal(err)
	}
	bus, topic := srv.Host.Stores.Bus, "deliver/"+srv.Host.Instance
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	game := srv.Config.Games[0].Name
	publish := func(d builtin.Delivery) {
		t.Helper()
		b, err := d.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if err := bus.Publish(ctx, topic, b); err != nil {
			t.Fatal(err)
		}
	}
	for _, junk := range [][]byte{nil, {1}, {9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9}, bytes.Repeat([]byte{0xff}, 64)} {
		if err := bus.Publish(ctx, topic, junk); err != nil {
			t.Fatal(err)
		}
	}
	publish(builtin.Delivery{Game: "nope", PID: 1001, Protocol: 14, Method: 1, OneWay: true, Bodies: [2][]byte{{1}, {1}}})
	publish(builtin.Delivery{Game: game, PID: 1002, Protocol: 14, Method: 1, OneWay: true, Bodies: [2][]byte{{1}, {1}}})

	// Real bodies (the proxy reads what it sends to consoles), encoded
	// for both structure-header settings; the session's must arrive.
	encode := func(e interface {
		Encode(rmc.Settings) ([]byte, error)
	}) (bodies [2][]byte, want []byte) {
		t.Helper()
		for i, hdr := range []bool{false, true} {
			s := c.Settings
			s.StructHeader = hdr
			b, err := e.Encode(s)
			if err != nil {
				t.Fatal(err)
			}
			bodies[i] = b
		}
		if c.Settings.StructHeader {
			return bodies, bodies[1]
		}
		return bodies, bodies[0]
	}
	bodies, want := encode(&notification.ProcessNotificationEventRequest{Event: notification.NotificationEvent{SourcePID: 1002, Type: 3001, Text: "over the bus"}})
	publish(builtin.Delivery{Game: game, PID: 1001, Protocol: notification.ProtocolID, Method: notification.MethodProcessNotificationEvent, OneWay: true, Bodies: bodies})
	if m := c.WaitRequest(t, notification.ProtocolID, notification.MethodProcessNotificationEvent, 10*time.Second); !bytes.Equal(m.Body, want) {
		t.Errorf("notification body %x, want %x", m.Body, want)
	}
	station, err := rmc.ParseStationURL("prudp:/address=192.0.2.1;port=1;RVCID=7")
	if err != nil {
		t.Fatal(err)
	}
	bodies, want = encode(&nat.InitiateProbeRequest{StationToProbe: station})
	publish(builtin.Delivery{Game: game, PID: 1001, Protocol: nat.ProtocolID, Method: nat.MethodInitiateProbe, Bodies: bodies})
	if m := c.WaitRequest(t, nat.ProtocolID, nat.MethodInitiateProbe, 10*time.Second); !bytes.Equal(m.Body, want) {
		t.Errorf("call body %x, want %x", m.Body, want)
	}
	if n := len(c.Requests()); n != 2 {
		t.Errorf("console received %d requests, want 2 (junk and misaddressed ones dropped)", n)
	}
}
