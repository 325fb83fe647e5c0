package proxy

import (
	"testing"

	"github.com/nexproxy/nexproxy/proxy/config"
	"github.com/nexproxy/nexproxy/prudp"
)

// TestListenerServesPorts: a listener answers the Rendez-Vous stream on
// port 1 (and 2 when authentication and secure share it), any port of
// that stream when it is a proxied game's secure server (the upstream's
// sid is kept), and never another stream type.
func TestListenerServesPorts(t *testing.T) {
	local := &game{cfg: &config.Game{Upstream: "local"}}
	proxied := &game{cfg: &config.Game{Upstream: "example.net:60000"}}
	rv := func(port uint8) prudp.VPort { return prudp.VPort{Type: prudp.StreamRVSecure, Port: port} }
	cases := []struct {
		name string
		l    *listener
		port prudp.VPort
		want bool
	}{
		{"auth port 1", &listener{auth: map[string]*game{"k": local}}, rv(1), true},
		{"auth port 2", &listener{auth: map[string]*game{"k": local}}, rv(2), false},
		{"shared port 2", &listener{shared: true, auth: map[string]*game{"k": local}, secure: map[string]*game{"k": local}}, rv(2), true},
		{"shared port 3", &listener{shared: true, auth: map[string]*game{"k": local}, secure: map[string]*game{"k": local}}, rv(3), false},
		{"local secure port 5", &listener{secure: map[string]*game{"k": local}}, rv(5), false},
		{"proxied secure port 5", &listener{secure: map[string]*game{"k": proxied}}, rv(5), true},
		{"other stream", &listener{secure: map[string]*game{"k": proxied}}, prudp.VPort{Type: prudp.StreamDO, Port: 1}, false},
	}
	for _, c := range cases {
		if got := c.l.serves(c.port); got != c.want {
			t.Errorf("%s: serves %v = %v, want %v", c.name, c.port, got, c.want)
		}
	}
}
