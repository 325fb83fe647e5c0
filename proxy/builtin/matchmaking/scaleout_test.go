package matchmaking_test

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/nexproxy/nexproxy/internal/servicetest"
	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/rmc/protocols/matchmakeextension"
	mm "github.com/nexproxy/nexproxy/rmc/protocols/matchmaking"
	"github.com/nexproxy/nexproxy/rmc/protocols/notification"
	"github.com/nexproxy/nexproxy/rmc/typed"
)

// TestNotificationAcrossInstances: two instances share PostgreSQL and
// Redis; console 1001 on A creates a session, 1002 on B joins it, and
// 1001 hears the 3001 join notification through the bus.
func TestNotificationAcrossInstances(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	cfg := servicetest.ScaleOutConfig(t)
	cfg.Backends.Gatherings = store.BackendPostgres
	game := servicetest.Game{Platform: "wiiu"}
	srvA := servicetest.Start(t, game, servicetest.HostWith(t, cfg))
	srvB := servicetest.Start(t, game, servicetest.HostWith(t, cfg))
	a, b := login(t, srvA, "1001:pw1"), login(t, srvB, "1002:pw2")
	register(t, a)
	register(t, b)
	cx := ctx(t)

	cr, err := a.mx.CreateMatchmakeSession(cx, &matchmakeextension.CreateMatchmakeSessionRequest{
		Gathering: typed.Hold(newSession(4, 4)), Description: "hi", NumParticipants: 1, HasNumParticipants: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.mx.JoinMatchmakeSessionEx(cx, &matchmakeextension.JoinMatchmakeSessionExRequest{GID: cr.GID, Gmessage: "from B", NumParticipants: 1, HasNumParticipants: true}); err != nil {
		t.Fatal(err)
	}
	m := a.WaitRequest(t, notification.ProtocolID, notification.MethodProcessNotificationEvent, 10*time.Second)
	var ev notification.ProcessNotificationEventRequest
	if err := ev.Decode(m.Body, a.Settings); err != nil {
		t.Fatal(err)
	}
	if e := ev.Event; e.Type != 3001 || e.SourcePID != 1002 || e.Param1 != uint64(cr.GID) || e.Param2 != 1002 || e.Text != "from B" {
		t.Errorf("3001 = %+v", e)
	}

	// 1002 is online on B: ownership may move to it.
	if _, err := a.mm.MigrateGatheringOwnership(cx, &mm.MigrateGatheringOwnershipRequest{GID: cr.GID, PotentialOwners: []uint64{1002}}); err != nil {
		t.Fatalf("migrate ownership to a console on B: %v", err)
	}
}

// Environment of TestDeadInstanceChild: the shared stores of the parent.
const (
	deadChildPG     = "NEXPROXY_TEST_MM_DEAD_PG"
	deadChildRedis  = "NEXPROXY_TEST_MM_DEAD_REDIS"
	deadChildPrefix = "NEXPROXY_TEST_MM_DEAD_PREFIX"
	deadChildData   = "NEXPROXY_TEST_MM_DEAD_DATA"
)

// TestGhostsOfADeadInstance: instance A (a child process) and instance B
// share PostgreSQL and Redis; 1001 on A creates a session (flag 0x10),
// 1002 on B joins it, then A is killed without any cleanup. While 1001's
// presence lease lives nothing happens; once it has run out (the test
// ends it as its expiry would), B's ghost sweep removes 1001: 1002 hears
// 4000 (it owns the session now), 110000 (and hosts it) and 3007, and is
// its only participant.
func TestGhostsOfADeadInstance(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	cfg := servicetest.ScaleOutConfig(t)
	cfg.Backends.Gatherings = store.BackendPostgres
	hostB := servicetest.HostWith(t, cfg)
	srvB := servicetest.Start(t, servicetest.Game{Platform: "wiiu", TOML: "[games.matchmaking]\nghost_sweep = \"100ms\"\n"}, hostB)

	cmd := exec.Command(os.Args[0], "-test.run=^TestDeadInstanceChild$", "-test.v")
	// The child's data folder is made here: a killed child removes no
	// temporary folder of its own. Made before the kill is registered, it
	// is removed after it.
	cmd.Env = append(os.Environ(), deadChildPG+"="+cfg.Postgres.URL, deadChildRedis+"="+cfg.Redis.URL, deadChildPrefix+"="+cfg.Redis.KeyPrefix,
		deadChildData+"="+t.TempDir())
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe() // the child lives until killed or this closes
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	kill := func() {
		if !killed {
			killed = true
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			_ = stdin.Close()
		}
	}
	t.Cleanup(kill)
	var gid uint32
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		if n, err := fmt.Sscanf(lines.Text(), "READY %d", &gid); err == nil && n == 1 {
			break
		}
	}
	if gid == 0 {
		kill()
		t.Fatal("instance A ended before creating its session")
	}

	b := login(t, srvB, "1002:pw2")
	register(t, b)
	cx := ctx(t)
	if _, err := b.mx.JoinMatchmakeSession(cx, &matchmakeextension.JoinMatchmakeSessionRequest{GID: gid, Message: "hi"}); err != nil {
		t.Fatal(err)
	}
	kill() // SIGKILL: no disconnect handling, no lease release

	// 1001's lease is still running: it counts as connected.
	time.Sleep(500 * time.Millisecond)
	ps, err := b.mm.GetParticipants(cx, &mm.GetParticipantsRequest{GID: gid})
	if err != nil || len(ps.Participants) != 2 {
		t.Fatalf("before the lease ran out: %+v %v", ps, err)
	}
	// The lease runs out (store.Stations hides expired entries; the test
	// does not wait the two minutes).
	st, err := hostB.Stores.Stations.Get(cx, "g", 1001)
	if err != nil {
		t.Fatalf("1001's station: %v", err)
	}
	if ok, err := hostB.Stores.Stations.Delete(cx, "g", 1001, st.Owner); err != nil || !ok {
		t.Fatalf("expire 1001's station: %v %v", ok, err)
	}
	// One-way notifications may arrive in any order.
	evs := events(t, b, 3)
	byType := map[uint32]notification.NotificationEvent{}
	for _, e := range evs {
		byType[e.Type] = e
	}
	if len(evs) != 3 || byType[4000].Param1 != uint64(gid) || byType[4000].Param2 != 1002 || byType[4000].SourcePID != 1001 ||
		byType[110000].Param1 != uint64(gid) || byType[3007].Param1 != uint64(gid) || byType[3007].Param2 != 1001 {
		t.Fatalf("1002 heard %+v", evs)
	}
	fr, err := b.mm.FindBySingleID(cx, &mm.FindBySingleIDRequest{GID: gid})
	if err != nil {
		t.Fatal(err)
	}
	if got := fr.Gathering.Value.(*mm.MatchmakeSession); got.Owner != 1002 || got.Host != 1002 || got.ParticipationCount != 1 {
		t.Errorf("after the sweep = %+v", got)
	}
}

// TestDeadInstanceChild is instance A of TestGhostsOfADeadInstance: it
// serves the game on the parent's stores, logs 1001 in, creates a
// session, prints its gid and waits to be killed.
func TestDeadInstanceChild(t *testing.T) {
	pg := os.Getenv(deadChildPG)
	if pg == "" {
		t.Skip("runs only as TestGhostsOfADeadInstance's child process")
	}
	cfg := store.DefaultConfig()
	cfg.DataDir = os.Getenv(deadChildData)
	cfg.Backends.Accounts, cfg.Backends.UniqueIDs, cfg.Backends.Gatherings = store.BackendPostgres, store.BackendPostgres, store.BackendPostgres
	cfg.Backends.Stations, cfg.Backends.Bus = store.BackendRedis, store.BackendRedis
	cfg.Postgres.URL, cfg.Redis.URL, cfg.Redis.KeyPrefix = pg, os.Getenv(deadChildRedis), os.Getenv(deadChildPrefix)
	srv := servicetest.Start(t, servicetest.Game{Platform: "wiiu"}, servicetest.HostWith(t, cfg))
	a := login(t, srv, "1001:pw1")
	register(t, a)
	s := newSession(4, 4)
	s.Flags |= 0x10
	cr, err := a.mx.CreateMatchmakeSession(ctx(t), &matchmakeextension.CreateMatchmakeSessionRequest{Gathering: typed.Hold(s)})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("READY %d\n", cr.GID)
	_, _ = io.Copy(io.Discard, os.Stdin)
}

// TestUnregisteredConsoleIsNoGhost: a console counts as connected from
// its secure login on, not from its Register. 1002 logs in on instance B
// and joins 1001's session on A without registering stations; A sweeps
// every 100 ms and must leave it in the session, see it online (ownership
// may move to it) and reach it through the bus.
func TestUnregisteredConsoleIsNoGhost(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	cfg := servicetest.ScaleOutConfig(t)
	cfg.Backends.Gatherings = store.BackendPostgres
	srvA := servicetest.Start(t, servicetest.Game{Platform: "wiiu", TOML: "[games.matchmaking]\nghost_sweep = \"100ms\"\n"}, servicetest.HostWith(t, cfg))
	srvB := servicetest.Start(t, servicetest.Game{Platform: "wiiu"}, servicetest.HostWith(t, cfg))
	a, b := login(t, srvA, "1001:pw1"), login(t, srvB, "1002:pw2")
	register(t, a)
	cx := ctx(t)

	cr, err := a.mx.CreateMatchmakeSession(cx, &matchmakeextension.CreateMatchmakeSessionRequest{Gathering: typed.Hold(newSession(4, 4))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.mx.JoinMatchmakeSession(cx, &matchmakeextension.JoinMatchmakeSessionRequest{GID: cr.GID, Message: "hi"}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second) // ten sweeps of A
	ps, err := a.mm.GetParticipants(cx, &mm.GetParticipantsRequest{GID: cr.GID})
	if err != nil || len(ps.Participants) != 2 {
		t.Fatalf("after A's sweeps: %+v %v", ps, err)
	}
	for _, e := range events(t, a, 1) {
		if e.Type == 3007 {
			t.Fatalf("1001 heard that 1002 left: %+v", e)
		}
	}
	if _, err := a.mm.MigrateGatheringOwnership(cx, &mm.MigrateGatheringOwnershipRequest{GID: cr.GID, PotentialOwners: []uint64{1002}}); err != nil {
		t.Fatalf("migrate ownership to the unregistered console on B: %v", err)
	}
	if e, ok := eventOf(t, b, 4000); !ok || e.Param1 != uint64(cr.GID) || e.Param2 != 1002 {
		t.Errorf("1002 on B: 4000 = %+v %v", e, ok)
	}
}

// TestStartEndsNoticesOfConsolesConnectedNowhere: instances sharing
// PostgreSQL and Redis. 1001 is connected to B and published notification
// data; 1003's data was left by a console connected nowhere; 1004's by a
// console whose instance still holds its presence lease. When A starts
// (without a sweep), it ends 1003's data only: 1002 on A sees 1001's and
// 1004's.
func TestStartEndsNoticesOfConsolesConnectedNowhere(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	cfg := servicetest.ScaleOutConfig(t)
	cfg.Backends.Gatherings = store.BackendPostgres
	noSweep := servicetest.Game{Platform: "wiiu", TOML: "[games.matchmaking]\nghost_sweep = \"0s\"\n"}
	hostB := servicetest.HostWith(t, cfg)
	srvB := servicetest.Start(t, noSweep, hostB)
	b := login(t, srvB, "1001:pw1")
	register(t, b)
	cx := ctx(t)
	if _, err := b.mx.UpdateNotificationData(cx, &matchmakeextension.UpdateNotificationDataRequest{Type: 101, Param3: "on B"}); err != nil {
		t.Fatal(err)
	}
	for _, pid := range []uint64{1003, 1004} {
		if err := hostB.Stores.Gatherings.PutNotice(cx, "g", store.Notice{PID: pid, Type: 101000, Text: "left"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := hostB.Stores.Stations.Put(cx, store.Station{Game: "g", PID: 1004, Owner: store.Owner{Instance: "another", RVCID: 9}}, time.Hour); err != nil {
		t.Fatal(err)
	}

	hostA := servicetest.HostWith(t, cfg)
	hostA.Friends = fakeFriends{1002: {1001, 1003, 1004}}
	srvA := servicetest.Start(t, noSweep, hostA)
	a := login(t, srvA, "1002:pw2")
	r, err := a.mx.GetlstFriendNotificationData(cx, &matchmakeextension.GetlstFriendNotificationDataRequest{Types: []uint32{101}})
	if err != nil {
		t.Fatal(err)
	}
	var got []uint64
	for _, n := range r.Notifications {
		got = append(got, n.SourcePID)
	}
	if len(got) != 2 || got[0] != 1001 || got[1] != 1004 {
		t.Errorf("active notification data after A's start: senders %v (want 1001 1004)", got)
	}
}
