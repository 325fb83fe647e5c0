package matchmaking

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/nexproxy/nexproxy/internal/servicetest"
	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/proxy/builtin"
	"github.com/nexproxy/nexproxy/proxy/config"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/protocols/common"
	"github.com/nexproxy/nexproxy/rmc/protocols/matchmakeextension"
	mm "github.com/nexproxy/nexproxy/rmc/protocols/matchmaking"
	"github.com/nexproxy/nexproxy/rmc/rpc"
	"github.com/nexproxy/nexproxy/rmc/typed"
)

// TestRejectedCriterionLogged: a criterion that does not parse matches
// nothing, and a debug line names the search, the criterion's index and
// the field that did not parse (common-go#70, services.md §8), for a
// browse and for an auto-matchmake alike.
func TestRejectedCriterionLogged(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	core, logs := observer.New(zap.DebugLevel)
	host := servicetest.Host(t)
	env := &builtin.Env{Env: &proxy.Env{Game: &config.Game{Name: "g"}, Log: zap.New(core)}, Host: host}
	s := &server{env: env, gs: host.Stores.Gatherings, stations: host.Stores.Stations}
	sess := rpc.NewSession("c1", "g", rpc.LegSecure, netip.AddrPort{}, rmc.Settings{PIDSize: 4, NEXVersion: 40000})
	sess.SetPID(1001)
	defer sess.End()
	c := &rpc.Call{Session: sess, CallID: 7}

	bad := mm.NewMatchmakeSessionSearchCriteria()
	bad.Attribs = []string{"", "", "three", "", "", ""}
	br, err := s.BrowseMatchmakeSession(ctx, c, &matchmakeextension.BrowseMatchmakeSessionRequest{SearchCriteria: *bad, Range: common.ResultRange{Size: 10}})
	if err != nil || len(br.Gatherings) != 0 {
		t.Fatalf("browse = %+v, %v", br, err)
	}
	rejected := func(search string, index int64, field string) {
		t.Helper()
		for _, e := range logs.FilterMessage("matchmaking: search criterion rejected").All() {
			f := e.ContextMap()
			if e.Level == zap.DebugLevel && f["search"] == search && f["criterion"] == index && strings.Contains(f["reason"].(string), field) {
				return
			}
		}
		t.Errorf("no debug line for %s criterion %d (%s); logged %+v", search, index, field, logs.All())
	}
	rejected("browse", 0, `attribs[2] "three"`)

	good := mm.NewMatchmakeSessionSearchCriteria()
	worse := mm.NewMatchmakeSessionSearchCriteria()
	worse.GameMode = "1-4"
	ms := mm.NewMatchmakeSession()
	ms.MinParticipants, ms.MaxParticipants = 1, 4
	if _, err := s.AutoMatchmakeWithSearchCriteriaPostpone(ctx, c, &matchmakeextension.AutoMatchmakeWithSearchCriteriaPostponeRequest{
		SearchCriteria: []mm.MatchmakeSessionSearchCriteria{*good, *worse}, Gathering: typed.Hold(ms)}); err != nil {
		t.Fatal(err)
	}
	rejected("auto-matchmake", 1, `game_mode "1-4"`)
}
