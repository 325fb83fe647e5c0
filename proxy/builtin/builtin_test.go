package builtin

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/proxy/config"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// echoSettings is the typed configuration of the test services.
type echoSettings struct {
	Reply string `mapstructure:"reply"`
}

// echo answers every method it is given with its configured reply.
type echo struct {
	name    string
	proto   uint16
	reply   string
	closed  *int
	methods []uint32
}

func (e *echo) Install(m *rpc.Mux) error {
	for _, id := range e.methods {
		if err := m.Handle(e.name, e.proto, id, func(context.Context, *rpc.Call) (*rpc.Reply, error) {
			return &rpc.Reply{Body: []byte(e.reply)}, nil
		}); err != nil {
			return err
		}
	}
	return nil
}

func (e *echo) Close() error { *e.closed++; return nil }

var closedCount int

// testServices are the services the tests build (the registry also holds
// teststore, which no host here can serve).
var testServices = map[string]bool{"testcore": true, "testgame": true}

func init() {
	Register(Service{Name: "teststore", Protocols: []uint16{902}, Stores: []Store{StoreObjects},
		New: func(env *Env) (Instance, error) {
			return &echo{name: "teststore", proto: 902, closed: &closedCount, methods: []uint32{1}}, nil
		}})
	Register(Service{Name: "testcore", Core: true, Protocols: []uint16{900},
		New: func(env *Env) (Instance, error) {
			return &echo{name: "testcore", proto: 900, reply: "core", closed: &closedCount, methods: []uint32{1}}, nil
		}})
	Register(Service{Name: "testgame", Protocols: []uint16{901},
		Config: func() any { return &echoSettings{Reply: "default"} },
		New: func(env *Env) (Instance, error) {
			s := env.Settings.(*echoSettings)
			if s.Reply == "fail" {
				return nil, errors.New("refused")
			}
			return &echo{name: "testgame", proto: 901, reply: s.Reply, closed: &closedCount, methods: []uint32{1, 2}}, nil
		}})
}

func game(t *testing.T, extra string, upstream string) *config.Game {
	t.Helper()
	cfg, err := config.LoadTOML(`advertise = "127.0.0.1"
[[games]]
name = "g"
platform = "wiiu"
access_key = "25dbf96a"
auth_listen = "127.0.0.1:60000"
upstream = "` + upstream + `"
` + extra)
	if err != nil {
		t.Fatal(err)
	}
	return &cfg.Games[0]
}

func serve(t *testing.T, link rpc.Link, proto uint16, method uint32) string {
	t.Helper()
	next := rpc.HandlerFunc(func(context.Context, *rpc.Call) (*rpc.Reply, error) { return &rpc.Reply{Body: []byte("next")}, nil })
	h := rpc.Chain(next, link)
	r, err := h.ServeRMC(context.Background(), &rpc.Call{Protocol: proto, Method: method})
	if err != nil {
		t.Fatal(err)
	}
	return string(r.Body)
}

func TestBuildLocalGame(t *testing.T) {
	g := game(t, "[games.testgame]\nreply = \"configured\"\n", "local")
	set, err := (&Host{}).build(&proxy.Env{Game: g}, testServices)
	if err != nil {
		t.Fatal(err)
	}
	if got := serve(t, set.Mux.Link(), 900, 1); got != "core" {
		t.Errorf("core service answered %q", got)
	}
	if got := serve(t, set.Mux.Link(), 901, 2); got != "configured" {
		t.Errorf("game service answered %q (its settings did not reach it)", got)
	}
	if got := serve(t, set.Mux.Link(), 901, 3); got != "next" {
		t.Errorf("an unserved method answered %q, want it passed on", got)
	}
	before := closedCount
	if err := set.Close(); err != nil || closedCount != before+2 {
		t.Errorf("Close: %v, closed %d services", err, closedCount-before)
	}
}

// TestBuildProxiedGame: a proxied game serves only the game services its
// [games.protocols] table names; the server itself (core) stays upstream.
func TestBuildProxiedGame(t *testing.T) {
	set, err := (&Host{}).build(&proxy.Env{Game: game(t, "", "example.net:60000")}, testServices)
	if err != nil {
		t.Fatal(err)
	}
	if set.Mux.Len() != 0 {
		t.Errorf("proxied game without local protocols serves %v", set.Names)
	}
	set, err = (&Host{}).build(&proxy.Env{Game: game(t, "[games.protocols]\ntestgame = \"local\"\n", "example.net:60000")}, testServices)
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Names) != 1 || set.Names[0] != "testgame" || !set.Mux.Serves(901, 1) || set.Mux.Serves(900, 1) {
		t.Errorf("serves %v", set.Names)
	}
}

func TestBuildFailureClosesWhatWasMade(t *testing.T) {
	before := closedCount
	_, err := (&Host{}).build(&proxy.Env{Game: game(t, "[games.testgame]\nreply = \"fail\"\n", "local")}, testServices)
	if err == nil || closedCount != before+1 {
		t.Errorf("err %v, closed %d (want the core service closed)", err, closedCount-before)
	}
}

func TestRegisterMisuse(t *testing.T) {
	newEcho := func(*Env) (Instance, error) { return nil, nil }
	for name, s := range map[string]Service{
		"duplicate name": {Name: "testcore", Protocols: []uint16{950}, New: newEcho},
		"protocol taken": {Name: "other", Protocols: []uint16{900}, New: newEcho},
		"no protocols":   {Name: "none", New: newEcho},
		"no constructor": {Name: "nonew", Protocols: []uint16{951}},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			Register(s)
		}()
	}
}

// TestBuildNeedsDeclaredStores: a service that declares a store the host
// lacks fails the game's start with a message naming both.
func TestBuildNeedsDeclaredStores(t *testing.T) {
	_, err := (&Host{}).build(&proxy.Env{Game: game(t, "", "local")}, map[string]bool{"teststore": true})
	if err == nil || !strings.Contains(err.Error(), "teststore needs the objects store") {
		t.Errorf("err = %v", err)
	}
}
