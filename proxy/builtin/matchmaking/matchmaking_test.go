package matchmaking_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/nexproxy/nexproxy/internal/servicetest"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/protocols/common"
	"github.com/nexproxy/nexproxy/rmc/protocols/matchmakeextension"
	mm "github.com/nexproxy/nexproxy/rmc/protocols/matchmaking"
	"github.com/nexproxy/nexproxy/rmc/protocols/matchmakingext"
	"github.com/nexproxy/nexproxy/rmc/protocols/notification"
	"github.com/nexproxy/nexproxy/rmc/protocols/secureconnection"
	"github.com/nexproxy/nexproxy/rmc/rpc"
	"github.com/nexproxy/nexproxy/rmc/typed"

	_ "github.com/nexproxy/nexproxy/proxy/builtin/auth"
	_ "github.com/nexproxy/nexproxy/proxy/builtin/matchmaking"
	_ "github.com/nexproxy/nexproxy/proxy/builtin/secure"
)

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

func resultOf(err error) rmc.Result {
	var re *rpc.ResultError
	if errors.As(err, &re) {
		return re.Result
	}
	return 0
}

type console struct {
	*servicetest.Console
	mx  *matchmakeextension.Client
	mm  *mm.Client
	ext *matchmakingext.Client
}

func login(t *testing.T, srv *servicetest.Server, user string) *console {
	c := srv.Login(t, user)
	return &console{Console: c, mx: matchmakeextension.NewClient(c.Secure, c.Settings),
		mm: mm.NewClient(c.Secure, c.Settings), ext: matchmakingext.NewClient(c.Secure, c.Settings)}
}

func register(t *testing.T, c *console) rmc.StationURL {
	t.Helper()
	u := rmc.StationURL{Scheme: "prudp"}
	u.SetAddress(c.SecureLocal.Addr().String())
	u.SetPort(c.SecureLocal.Port())
	u.SetInt(rmc.URLType, 2)
	if _, err := secureconnection.NewClient(c.Secure, c.Settings).Register(ctx(t), &secureconnection.RegisterRequest{URLs: []rmc.StationURL{u}}); err != nil {
		t.Fatalf("register: %v", err)
	}
	return u
}

func newSession(mode uint32, maxP uint16) *mm.MatchmakeSession {
	s := &mm.MatchmakeSession{}
	s.SetDefaults()
	s.MinParticipants, s.MaxParticipants = 1, maxP
	s.GameMode = mode
	s.Attribs = []uint32{7, 0, 3, 0, 0, 0}
	s.MatchmakeSystem = 1
	s.ApplicationData = []byte("app")
	return s
}

func events(t *testing.T, c *console, want int) []notification.NotificationEvent {
	t.Helper()
	var out []notification.NotificationEvent
	deadline := time.Now().Add(5 * time.Second)
	for {
		out = out[:0]
		for _, m := range c.Requests() {
			if m.Protocol != notification.ProtocolID {
				continue
			}
			var req notification.ProcessNotificationEventRequest
			if err := req.Decode(m.Body, c.Settings); err != nil {
				t.Fatalf("notification: %v", err)
			}
			out = append(out, req.Event)
		}
		if len(out) >= want || time.Now().After(deadline) {
			return out
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// eventOf waits up to 5 s for c's first notification of type typ.
func eventOf(t *testing.T, c *console, typ uint32) (notification.NotificationEvent, bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		for _, ev := range events(t, c, 0) {
			if ev.Type == typ {
				return ev, true
			}
		}
		if time.Now().After(deadline) {
			return notification.NotificationEvent{}, false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestCreateJoinBrowseLeave: a session created by one console is found,
// joined (the owner hears 3001 with the joiner, gid and count), closed,
// reopened, updated and left; ownership stays with its creator and
// owner-only methods refuse the others.
func TestCreateJoinBrowseLeave(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	srv := servicetest.Start(t, servicetest.Game{Platform: "wiiu"}, nil)
	a, b := login(t, srv, "1001:pw1"), login(t, srv, "1002:pw2")
	ua := register(t, a)
	register(t, b)
	cx := ctx(t)

	cr, err := a.mx.CreateMatchmakeSession(cx, &matchmakeextension.CreateMatchmakeSessionRequest{
		Gathering: typed.Hold(newSession(4, 4)), Description: "hi", NumParticipants: 1, HasNumParticipants: true})
	if err != nil {
		t.Fatal(err)
	}
	if cr.GID == 0 || len(cr.SessionKey) != 32 {
		t.Fatalf("create = %+v", cr)
	}

	crit := mm.MatchmakeSessionSearchCriteria{}
	crit.SetDefaults()
	crit.GameMode = "4"
	crit.Attribs = []string{"5,9", "123", "", "", "", ""}
	br, err := b.mx.BrowseMatchmakeSession(cx, &matchmakeextension.BrowseMatchmakeSessionRequest{SearchCriteria: crit, Range: rangeAll()})
	if err != nil {
		t.Fatal(err)
	}
	if len(br.Gatherings) != 1 {
		t.Fatalf("browse found %d", len(br.Gatherings))
	}
	found := br.Gatherings[0].Value.(*mm.MatchmakeSession)
	if found.ID != cr.GID || found.Owner != 1001 || found.Host != 1001 || len(found.SessionKey) != 0 || found.ParticipationCount != 1 ||
		string(found.ApplicationData) != "app" {
		t.Errorf("browse = %+v", found)
	}
	crit.GameMode = "5"
	if br, err := b.mx.BrowseMatchmakeSession(cx, &matchmakeextension.BrowseMatchmakeSessionRequest{SearchCriteria: crit, Range: rangeAll()}); err != nil || len(br.Gatherings) != 0 {
		t.Errorf("browse other mode: %v, %v", br, err)
	}

	jr, err := b.mx.JoinMatchmakeSessionEx(cx, &matchmakeextension.JoinMatchmakeSessionExRequest{GID: cr.GID, Gmessage: "let me in", NumParticipants: 2, HasNumParticipants: true})
	if err != nil {
		t.Fatal(err)
	}
	if string(jr.SessionKey) != string(cr.SessionKey) {
		t.Errorf("join key differs")
	}
	m := a.WaitRequest(t, notification.ProtocolID, notification.MethodProcessNotificationEvent, 5*time.Second)
	var ev notification.ProcessNotificationEventRequest
	if err := ev.Decode(m.Body, a.Settings); err != nil {
		t.Fatal(err)
	}
	if e := ev.Event; e.Type != 3001 || e.SourcePID != 1002 || e.Param1 != uint64(cr.GID) || e.Param2 != 1002 || e.Text != "let me in" || e.Param3 != 3 {
		t.Errorf("3001 = %+v", e)
	}
	if _, err := b.mx.JoinMatchmakeSession(cx, &matchmakeextension.JoinMatchmakeSessionRequest{GID: cr.GID}); resultOf(err) != rmc.ResultRendezVousAlreadyParticipatedGathering {
		t.Errorf("second join: %v", err)
	}
	if _, err := b.mx.JoinMatchmakeSession(cx, &matchmakeextension.JoinMatchmakeSessionRequest{GID: cr.GID + 99}); resultOf(err) != rmc.ResultRendezVousSessionVoid {
		t.Errorf("join unknown: %v", err)
	}

	// Owner-only methods.
	if _, err := b.mx.CloseParticipation(cx, &matchmakeextension.CloseParticipationRequest{GID: cr.GID}); resultOf(err) != rmc.ResultRendezVousPermissionDenied {
		t.Errorf("close by participant: %v", err)
	}
	if _, err := b.mm.UnregisterGathering(cx, &mm.UnregisterGatheringRequest{GID: cr.GID}); resultOf(err) != rmc.ResultRendezVousPermissionDenied {
		t.Errorf("unregister by participant: %v", err)
	}
	if _, err := a.mx.UpdateApplicationBuffer(cx, &matchmakeextension.UpdateApplicationBufferRequest{GID: cr.GID, Buffer: []byte("new")}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.mx.UpdateProgressScore(cx, &matchmakeextension.UpdateProgressScoreRequest{GID: cr.GID, Score: 42}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.mx.CloseParticipation(cx, &matchmakeextension.CloseParticipationRequest{GID: cr.GID}); err != nil {
		t.Fatal(err)
	}
	fr, err := b.mm.FindBySingleID(cx, &mm.FindBySingleIDRequest{GID: cr.GID})
	if err != nil {
		t.Fatal(err)
	}
	got := fr.Gathering.Value.(*mm.MatchmakeSession)
	if !fr.Result || got.OpenParticipation || string(got.ApplicationData) != "new" || got.ProgressScore != 42 || got.ParticipationCount != 3 {
		t.Errorf("find = %+v", got)
	}

	c := login(t, srv, "1003:pw3")
	if _, err := c.mx.JoinMatchmakeSession(cx, &matchmakeextension.JoinMatchmakeSessionRequest{GID: cr.GID}); resultOf(err) != rmc.ResultRendezVousPermissionDenied {
		t.Errorf("join closed: %v", err)
	}
	if _, err := a.mx.OpenParticipation(cx, &matchmakeextension.OpenParticipationRequest{GID: cr.GID}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.mx.JoinMatchmakeSessionEx(cx, &matchmakeextension.JoinMatchmakeSessionExRequest{GID: cr.GID, NumParticipants: 2, HasNumParticipants: true}); resultOf(err) != rmc.ResultRendezVousSessionFull {
		t.Errorf("overfill: %v", err)
	}

	// The host's URLs are for participants only (services.md §2.11).
	if _, err := c.mm.GetSessionURLs(cx, &mm.GetSessionURLsRequest{GID: cr.GID}); resultOf(err) != rmc.ResultRendezVousPermissionDenied {
		t.Errorf("session urls for a non-participant: %v", err)
	}
	urls, err := b.mm.GetSessionURLs(cx, &mm.GetSessionURLsRequest{GID: cr.GID})
	if err != nil {
		t.Fatal(err)
	}
	wantPort, _ := ua.Port()
	if len(urls.URLs) == 0 {
		t.Fatal("no session urls")
	}
	if port, _ := urls.URLs[0].Port(); port != wantPort {
		t.Errorf("session urls = %v, want host %v", urls.URLs, ua)
	}

	// b leaves: a hears 3008.
	if r, err := b.ext.EndParticipation(cx, &matchmakingext.EndParticipationRequest{GID: cr.GID, Message: "bye"}); err != nil || !r.Result {
		t.Fatalf("end participation: %v, %v", r, err)
	}
	if _, err := b.ext.EndParticipation(cx, &matchmakingext.EndParticipationRequest{GID: cr.GID}); resultOf(err) != rmc.ResultRendezVousNotParticipatedGathering {
		t.Errorf("second leave: %v", err)
	}
	evs := events(t, a, 2)
	if len(evs) < 2 || evs[1].Type != 3008 || evs[1].Param2 != 1002 || evs[1].Text != "bye" {
		t.Errorf("events of owner: %+v", evs)
	}

	// c joins, then the owner unregisters: c hears 109000.
	if _, err := c.mx.JoinMatchmakeSession(cx, &matchmakeextension.JoinMatchmakeSessionRequest{GID: cr.GID}); err != nil {
		t.Fatal(err)
	}
	if r, err := a.mm.UnregisterGathering(cx, &mm.UnregisterGatheringRequest{GID: cr.GID}); err != nil || !r.Result {
		t.Fatalf("unregister: %v, %v", r, err)
	}
	evs = events(t, c, 1)
	if len(evs) != 1 || evs[0].Type != 109000 || evs[0].Param1 != uint64(cr.GID) {
		t.Errorf("events of participant: %+v", evs)
	}
	if _, err := b.mm.FindBySingleID(cx, &mm.FindBySingleIDRequest{GID: cr.GID}); resultOf(err) != rmc.ResultRendezVousSessionVoid {
		t.Errorf("find unregistered: %v", err)
	}
}

func rangeAll() common.ResultRange { return common.ResultRange{Offset: 0, Size: 10} }

// TestDisconnectLeaves: an owner that disconnects leaves its session;
// with flag 0x10 the next participant becomes owner and hears 4000.
func TestDisconnectLeaves(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	srv := servicetest.Start(t, servicetest.Game{Platform: "wiiu"}, nil)
	a, b := login(t, srv, "1001:pw1"), login(t, srv, "1002:pw2")
	cx := ctx(t)
	s := newSession(1, 4)
	s.Flags |= 0x10
	cr, err := a.mx.CreateMatchmakeSession(cx, &matchmakeextension.CreateMatchmakeSessionRequest{Gathering: typed.Hold(s)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.mx.JoinMatchmakeSession(cx, &matchmakeextension.JoinMatchmakeSessionRequest{GID: cr.GID}); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	// One-way notifications may arrive in any order: look for the 4000.
	if ev, ok := eventOf(t, b, 4000); !ok || ev.Param2 != 1002 {
		t.Fatalf("ownership change = %+v (found %v); events = %+v", ev, ok, events(t, b, 0))
	}
	fr, err := b.mm.FindBySingleID(cx, &mm.FindBySingleIDRequest{GID: cr.GID})
	if err != nil {
		t.Fatal(err)
	}
	if got := fr.Gathering.Value.(*mm.MatchmakeSession); got.Owner != 1002 || got.Host != 1002 || got.ParticipationCount != 1 {
		t.Errorf("after disconnect = %+v", got)
	}
}

// TestAutoMatchmakeRace: 40 consoles auto-matchmake at once into
// 4-player sessions; exactly 10 full sessions come out and nobody is in
// two.
func TestAutoMatchmakeRace(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	const n, size = 40, 4
	var users []string
	for i := range n {
		users = append(users, fmt.Sprintf("%d:pw%d", 2000+i, i))
	}
	srv := servicetest.Start(t, servicetest.Game{Platform: "wiiu", Users: users}, nil)
	consoles := make([]*console, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() { defer wg.Done(); consoles[i] = login(t, srv, users[i]) }()
	}
	wg.Wait()
	cx := ctx(t)
	gids := make([]uint32, n)
	errs := make([]error, n)
	for i, c := range consoles {
		wg.Add(1)
		go func() {
			defer wg.Done()
			crit := mm.MatchmakeSessionSearchCriteria{}
			crit.SetDefaults()
			crit.GameMode = "9"
			crit.MaxParticipants = fmt.Sprint(size)
			var r *matchmakeextension.AutoMatchmakeWithSearchCriteriaPostponeResponse
			var err error
			if i%2 == 0 {
				r, err = c.mx.AutoMatchmakeWithSearchCriteriaPostpone(cx, &matchmakeextension.AutoMatchmakeWithSearchCriteriaPostponeRequest{
					SearchCriteria: []mm.MatchmakeSessionSearchCriteria{crit}, Gathering: typed.Hold(newSession(9, size))})
			} else {
				var ar *matchmakeextension.AutoMatchmakePostponeResponse
				ar, err = c.mx.AutoMatchmakePostpone(cx, &matchmakeextension.AutoMatchmakePostponeRequest{Gathering: typed.Hold(newSession(9, size))})
				if ar != nil {
					r = &matchmakeextension.AutoMatchmakeWithSearchCriteriaPostponeResponse{Gathering: ar.Gathering}
				}
			}
			errs[i] = err
			if err == nil {
				gids[i] = r.Gathering.Value.(*mm.MatchmakeSession).ID
			}
		}()
	}
	wg.Wait()
	members := map[uint32]int{}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("console %d: %v", i, errs[i])
		}
		members[gids[i]]++
	}
	if len(members) != n/size {
		t.Errorf("%d sessions: %v", len(members), members)
	}
	for gid, k := range members {
		if k != size {
			t.Errorf("session %d has %d members", gid, k)
		}
		fr, err := consoles[0].mm.FindBySingleID(cx, &mm.FindBySingleIDRequest{GID: gid})
		if err != nil {
			t.Fatal(err)
		}
		if got := fr.Gathering.Value.(*mm.MatchmakeSession).ParticipationCount; got != size {
			t.Errorf("session %d counts %d", gid, got)
		}
	}
}

// TestReconnectDropsOldPlaces: a console that reconnects ends its stale
// connection, which leaves the sessions it had entered (no ghost
// sessions), while what the new connection does stays.
func TestReconnectDropsOldPlaces(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	srv := servicetest.Start(t, servicetest.Game{Platform: "wiiu"}, nil)
	a, b := login(t, srv, "1001:pw1"), login(t, srv, "1002:pw2")
	cx := ctx(t)
	old, err := a.mx.CreateMatchmakeSession(cx, &matchmakeextension.CreateMatchmakeSessionRequest{Gathering: typed.Hold(newSession(1, 4))})
	if err != nil {
		t.Fatal(err)
	}
	a2 := login(t, srv, "1001:pw1")
	fresh, err := a2.mx.CreateMatchmakeSession(cx, &matchmakeextension.CreateMatchmakeSessionRequest{Gathering: typed.Hold(newSession(1, 4))})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := b.mm.FindBySingleID(cx, &mm.FindBySingleIDRequest{GID: old.GID})
		if resultOf(err) == rmc.ResultRendezVousSessionVoid {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stale session still there: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	_ = a.Close()
	time.Sleep(50 * time.Millisecond) // let a late end of the old connection run, if it were to
	if _, err := b.mm.FindBySingleID(cx, &mm.FindBySingleIDRequest{GID: fresh.GID}); err != nil {
		t.Errorf("new connection's session: %v", err)
	}
}

// TestUnlimitedSession: a max_participants of 0 is no limit (services.md
// §2.8, store.HasRoom), never an invalid session: CreateMatchmakeSession,
// AutoMatchmake_Postpone and UpdateMatchmakeSessionPart accept it, and
// joins are not refused as full.
func TestUnlimitedSession(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	srv := servicetest.Start(t, servicetest.Game{Platform: "wiiu", NEX: 40000}, nil)
	a, b, c, d := login(t, srv, "1001:pw1"), login(t, srv, "1002:pw2"), login(t, srv, "1003:pw3"), login(t, srv, "1004:pw4")
	cx := ctx(t)
	count := func(gid uint32) uint32 {
		t.Helper()
		r, err := a.mx.FindMatchmakeSessionBySingleGatheringId(cx, &matchmakeextension.FindMatchmakeSessionBySingleGatheringIdRequest{GID: gid})
		if err != nil {
			t.Fatal(err)
		}
		return r.Session.ParticipationCount
	}

	cr, err := a.mx.CreateMatchmakeSession(cx, &matchmakeextension.CreateMatchmakeSessionRequest{Gathering: typed.Hold(newSession(1, 0))})
	if err != nil {
		t.Fatalf("create with max 0: %v", err)
	}
	for _, x := range []*console{b, c, d} {
		if _, err := x.mx.JoinMatchmakeSessionEx(cx, &matchmakeextension.JoinMatchmakeSessionExRequest{GID: cr.GID, NumParticipants: 3, HasNumParticipants: true}); err != nil {
			t.Fatalf("join %d: %v", x.PID, err)
		}
	}
	if n := count(cr.GID); n != 10 {
		t.Fatalf("count = %d, want 10", n)
	}

	auto := func(x *console) *mm.MatchmakeSession {
		t.Helper()
		r, err := x.mx.AutoMatchmakePostpone(cx, &matchmakeextension.AutoMatchmakePostponeRequest{Gathering: typed.Hold(newSession(5, 0))})
		if err != nil {
			t.Fatalf("auto-matchmake with max 0: %v", err)
		}
		return r.Gathering.Value.(*mm.MatchmakeSession)
	}
	first := auto(a)
	if second := auto(b); second.ID != first.ID || second.ParticipationCount != 2 || second.MaxParticipants != 0 {
		t.Fatalf("second auto-matchmake = %+v, first %d", second, first.ID)
	}

	small, err := a.mx.CreateMatchmakeSession(cx, &matchmakeextension.CreateMatchmakeSessionRequest{Gathering: typed.Hold(newSession(6, 2))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.mx.JoinMatchmakeSession(cx, &matchmakeextension.JoinMatchmakeSessionRequest{GID: small.GID}); err != nil {
		t.Fatal(err)
	}
	up := mm.NewUpdateMatchmakeSessionParam()
	up.GID, up.ModificationFlags, up.MaxParticipants = small.GID, 0x1000, 0
	if _, err := a.mx.UpdateMatchmakeSessionPart(cx, &matchmakeextension.UpdateMatchmakeSessionPartRequest{Param: *up}); err != nil {
		t.Fatalf("part update to max 0: %v", err)
	}
	if _, err := c.mx.JoinMatchmakeSession(cx, &matchmakeextension.JoinMatchmakeSessionRequest{GID: small.GID}); err != nil {
		t.Fatalf("join after max 0: %v", err)
	}
	if n := count(small.GID); n != 3 {
		t.Fatalf("count = %d, want 3", n)
	}
}

// TestSessionKeyFromNEX3: CreateMatchmakeSession, JoinMatchmakeSession and
// JoinMatchmakeSessionEx answer the session key from NEX 3.0 only
// (services.md §2.7, §2.8; protocols.md, protocol 109): a NEX 2 game's
// answers end after the gid (Create) or are empty (the joins).
func TestSessionKeyFromNEX3(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	for _, tc := range []struct {
		nex int
		key bool
	}{{20000, false}, {30000, true}, {30400, true}} {
		t.Run(fmt.Sprint(tc.nex), func(t *testing.T) {
			srv := servicetest.Start(t, servicetest.Game{Platform: "3ds", NEX: tc.nex}, nil)
			a, b, c := login(t, srv, "1001:pw1"), login(t, srv, "1002:pw2"), login(t, srv, "1003:pw3")
			cx := ctx(t)
			call := func(x *console, method uint32, req interface {
				Encode(rmc.Settings) ([]byte, error)
			}) []byte {
				t.Helper()
				body, err := req.Encode(x.Settings)
				if err != nil {
					t.Fatal(err)
				}
				m, err := x.Secure.Call(cx, matchmakeextension.ProtocolID, method, body)
				if err != nil || !m.Success {
					t.Fatalf("method %d: %+v %v", method, m, err)
				}
				return m.Body
			}
			keySize, keyLen := 0, 0 // the key; its buffer: u32 length + key
			if tc.key {
				keySize, keyLen = 32, 4+32
			}
			created := call(a, matchmakeextension.MethodCreateMatchmakeSession, &matchmakeextension.CreateMatchmakeSessionRequest{
				Gathering: typed.Hold(newSession(1, 4)), Description: "d", NumParticipants: 1, HasNumParticipants: tc.nex >= 30400})
			if len(created) != 4+keyLen {
				t.Fatalf("CreateMatchmakeSession answered %d bytes, want %d", len(created), 4+keyLen)
			}
			var cr matchmakeextension.CreateMatchmakeSessionResponse
			if err := cr.Decode(created, a.Settings); err != nil || cr.GID == 0 || len(cr.SessionKey) != keySize {
				t.Fatalf("create = %+v, %v", cr, err)
			}
			joined := call(b, matchmakeextension.MethodJoinMatchmakeSession, &matchmakeextension.JoinMatchmakeSessionRequest{GID: cr.GID})
			if len(joined) != keyLen {
				t.Fatalf("JoinMatchmakeSession answered %d bytes, want %d", len(joined), keyLen)
			}
			joinedEx := call(c, matchmakeextension.MethodJoinMatchmakeSessionEx, &matchmakeextension.JoinMatchmakeSessionExRequest{
				GID: cr.GID, NumParticipants: 1, HasNumParticipants: tc.nex >= 30400})
			if len(joinedEx) != keyLen {
				t.Fatalf("JoinMatchmakeSessionEx answered %d bytes, want %d", len(joinedEx), keyLen)
			}
		})
	}
}

// TestAutoMatchmakeCodeword: AutoMatchmake_Postpone joins only a session
// with the supplied session's codeword (services.md §3.4; the field exists
// from NEX 4): another codeword, or none, makes a session of its own.
func TestAutoMatchmakeCodeword(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	srv := servicetest.Start(t, servicetest.Game{Platform: "switch"}, nil)
	a, b, c, d := login(t, srv, "1001:pw1"), login(t, srv, "1002:pw2"), login(t, srv, "1003:pw3"), login(t, srv, "1004:pw4")
	auto := func(x *console, codeword string) *mm.MatchmakeSession {
		t.Helper()
		s := newSession(1, 4)
		s.Codeword = codeword
		r, err := x.mx.AutoMatchmakePostpone(ctx(t), &matchmakeextension.AutoMatchmakePostponeRequest{Gathering: typed.Hold(s)})
		if err != nil {
			t.Fatal(err)
		}
		return r.Gathering.Value.(*mm.MatchmakeSession)
	}
	first := auto(a, "abc")
	if other := auto(b, "xyz"); other.ID == first.ID || other.Owner != 1002 {
		t.Errorf("another codeword joined %+v", other)
	}
	if same := auto(c, "abc"); same.ID != first.ID || same.ParticipationCount != 2 {
		t.Errorf("the same codeword joined %+v, want %d", same, first.ID)
	}
	if none := auto(d, ""); none.ID == first.ID || none.Owner != 1004 {
		t.Errorf("no codeword joined %+v", none)
	}
}
