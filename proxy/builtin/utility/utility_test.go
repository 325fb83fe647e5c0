package utility_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/nexproxy/nexproxy/internal/servicetest"
	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/proxy/config"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/protocols/secureconnection"
	"github.com/nexproxy/nexproxy/rmc/protocols/utility"
	"github.com/nexproxy/nexproxy/rmc/rpc"

	_ "github.com/nexproxy/nexproxy/proxy/builtin/auth"
	_ "github.com/nexproxy/nexproxy/proxy/builtin/secure"
	_ "github.com/nexproxy/nexproxy/proxy/builtin/utility"
)

const settingsTOML = `
[games.utility.integer_settings]
5 = { 0 = 5, 1 = 42, 2 = -1 }
[games.utility.string_settings]
5 = { 0 = "setting-5", 1 = "interop" }
`

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
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

// TestUniqueIDs: ids are fresh and non-zero, each is associated with its
// caller at once, and associations follow the rules of the reference
// server: unknown ids, wrong passwords and other users' ids are refused
// and change nothing.
func TestUniqueIDs(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, runs after every other cleanup
	for _, platform := range []string{"friends", "3ds", "wiiu", "switch"} {
		t.Run(platform, func(t *testing.T) {
			srv := servicetest.Start(t, servicetest.Game{Platform: platform, TOML: settingsTOML}, nil)
			a, b := srv.Login(t, "1001:pw1"), srv.Login(t, "1002:pw2")
			ua, ub := utility.NewClient(a.Secure, a.Settings), utility.NewClient(b.Secure, b.Settings)
			ctx := ctx(t)

			// Nobody has ids yet: one zero id in the list, a zero primary.
			none, err := ua.GetAssociatedNexUniqueIdsWithMyPrincipalId(ctx, &utility.GetAssociatedNexUniqueIdsWithMyPrincipalIdRequest{})
			if err != nil || len(none.Infos) != 1 || none.Infos[0].UniqueID != 0 {
				t.Fatalf("no ids: %+v, %v", none, err)
			}

			first, err := ua.AcquireNexUniqueId(ctx, &utility.AcquireNexUniqueIdRequest{})
			if err != nil || first.UniqueID == 0 {
				t.Fatalf("acquire: %+v, %v", first, err)
			}
			second, err := ua.AcquireNexUniqueId(ctx, &utility.AcquireNexUniqueIdRequest{})
			if err != nil || second.UniqueID == first.UniqueID {
				t.Fatalf("second acquire: %+v, %v", second, err)
			}
			primary, err := ua.GetAssociatedNexUniqueIdWithMyPrincipalId(ctx, &utility.GetAssociatedNexUniqueIdWithMyPrincipalIdRequest{})
			if err != nil || primary.Info.UniqueID != first.UniqueID {
				t.Fatalf("primary after two acquires: %+v, %v (want the first, %d)", primary, err, first.UniqueID)
			}

			withPw, err := ub.AcquireNexUniqueIdWithPassword(ctx, &utility.AcquireNexUniqueIdWithPasswordRequest{})
			if err != nil || withPw.Info.UniqueID == 0 || withPw.Info.Password == 0 {
				t.Fatalf("acquire with password: %+v, %v", withPw, err)
			}
			if _, err := ub.AssociateNexUniqueIdWithMyPrincipalId(ctx, &utility.AssociateNexUniqueIdWithMyPrincipalIdRequest{Info: withPw.Info}); err != nil {
				t.Fatal(err)
			}
			back, err := ub.GetAssociatedNexUniqueIdWithMyPrincipalId(ctx, &utility.GetAssociatedNexUniqueIdWithMyPrincipalIdRequest{})
			if err != nil || back.Info.UniqueID != withPw.Info.UniqueID || back.Info.Password != withPw.Info.Password {
				t.Fatalf("associated: %+v, %v", back, err)
			}

			refusals := []struct {
				name string
				info utility.UniqueIdInfo
				want rmc.Result
			}{
				{"unknown id", utility.UniqueIdInfo{UniqueID: 1 << 60}, rmc.ResultCoreInvalidArgument},
				{"wrong password", utility.UniqueIdInfo{UniqueID: withPw.Info.UniqueID, Password: withPw.Info.Password + 1}, rmc.ResultCoreAccessDenied},
				{"another user's id", withPw.Info, rmc.ResultCoreAccessDenied},
			}
			for _, r := range refusals {
				_, err := ua.AssociateNexUniqueIdsWithMyPrincipalId(ctx, &utility.AssociateNexUniqueIdsWithMyPrincipalIdRequest{
					Infos: []utility.UniqueIdInfo{{UniqueID: second.UniqueID}, r.info}})
				if got := resultOf(err); got != r.want {
					t.Errorf("%s: %v, want %v", r.name, err, r.want)
				}
			}
			// The refusals changed nothing: a still has both its ids.
			all, err := ua.GetAssociatedNexUniqueIdsWithMyPrincipalId(ctx, &utility.GetAssociatedNexUniqueIdsWithMyPrincipalIdRequest{})
			if err != nil || len(all.Infos) != 2 || all.Infos[0].UniqueID != first.UniqueID {
				t.Fatalf("after refusals: %+v, %v", all, err)
			}
			// A list replaces them, its first id primary.
			if _, err := ua.AssociateNexUniqueIdsWithMyPrincipalId(ctx, &utility.AssociateNexUniqueIdsWithMyPrincipalIdRequest{
				Infos: []utility.UniqueIdInfo{{UniqueID: second.UniqueID}}}); err != nil {
				t.Fatal(err)
			}
			all, err = ua.GetAssociatedNexUniqueIdsWithMyPrincipalId(ctx, &utility.GetAssociatedNexUniqueIdsWithMyPrincipalIdRequest{})
			if err != nil || len(all.Infos) != 1 || all.Infos[0].UniqueID != second.UniqueID {
				t.Fatalf("after replacing: %+v, %v", all, err)
			}
			// An id of 0 clears them.
			if _, err := ua.AssociateNexUniqueIdWithMyPrincipalId(ctx, &utility.AssociateNexUniqueIdWithMyPrincipalIdRequest{}); err != nil {
				t.Fatal(err)
			}
			if p, _ := ua.GetAssociatedNexUniqueIdWithMyPrincipalId(ctx, &utility.GetAssociatedNexUniqueIdWithMyPrincipalIdRequest{}); p == nil || p.Info.UniqueID != 0 {
				t.Errorf("after clearing: %+v", p)
			}
		})
	}
}

// TestSettings: the configured settings of an index come back in key
// order; an index the game does not configure is Core::NotImplemented.
func TestSettings(t *testing.T) {
	srv := servicetest.Start(t, servicetest.Game{Platform: "wiiu", TOML: settingsTOML}, nil)
	c := srv.Login(t, "1001:pw1")
	u := utility.NewClient(c.Secure, c.Settings)
	ctx := ctx(t)
	ints, err := u.GetIntegerSettings(ctx, &utility.GetIntegerSettingsRequest{Index: 5})
	if err != nil || len(ints.Settings) != 3 || ints.Settings[0].Key != 0 || ints.Settings[2].Value != -1 {
		t.Fatalf("integer settings: %+v, %v", ints, err)
	}
	strs, err := u.GetStringSettings(ctx, &utility.GetStringSettingsRequest{Index: 5})
	if v, _ := strs.Settings.Get(0); err != nil || v != "setting-5" {
		t.Fatalf("string settings: %+v, %v", strs, err)
	}
	if _, err := u.GetIntegerSettings(ctx, &utility.GetIntegerSettingsRequest{Index: 6}); resultOf(err) != rmc.ResultCoreNotImplemented {
		t.Errorf("unconfigured index: %v", err)
	}
}

// TestSettingsValidation: indexes and keys must be numbers of their wire
// width, reported with their keys.
func TestSettingsValidation(t *testing.T) {
	text := servicetest.Game{Platform: "wiiu", TOML: `
[games.utility.integer_settings]
x = { 0 = 1 }
5 = { 70000 = 1 }
`}.TOMLText(t)
	_, err := config.LoadTOML(text)
	got := err.Error()
	for _, want := range []string{"games[g].utility.integer_settings.x: a settings index", "games[g].utility.integer_settings.5.70000: a setting's key"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
}

// TestUniqueIDsSurviveRestart: ids handed out after a restart on the same
// data folder never repeat, and associations are still there.
func TestUniqueIDsSurviveRestart(t *testing.T) {
	cfg := store.DefaultConfig()
	cfg.DataDir = t.TempDir()
	seen := map[uint64]bool{}
	var kept uint64
	for run := range 2 {
		func() {
			host := servicetest.HostWith(t, cfg)
			srv := servicetest.Start(t, servicetest.Game{Platform: "wiiu"}, host)
			c := srv.Login(t, "1001:pw1")
			u := utility.NewClient(c.Secure, c.Settings)
			ctx := ctx(t)
			if run == 1 {
				p, err := u.GetAssociatedNexUniqueIdWithMyPrincipalId(ctx, &utility.GetAssociatedNexUniqueIdWithMyPrincipalIdRequest{})
				if err != nil || p.Info.UniqueID != kept {
					t.Fatalf("primary after restart: %+v, %v (want %d)", p, err, kept)
				}
			}
			for range 5 {
				r, err := u.AcquireNexUniqueId(ctx, &utility.AcquireNexUniqueIdRequest{})
				if err != nil || seen[r.UniqueID] {
					t.Fatalf("run %d: id %+v (%v) repeats", run, r, err)
				}
				seen[r.UniqueID] = true
				if kept == 0 {
					kept = r.UniqueID
				}
			}
			_ = c.Close()
			_ = srv.Close()
			if err := host.Close(); err != nil {
				t.Fatal(err)
			}
			if err := host.Stores.Close(); err != nil {
				t.Fatal(err)
			}
		}()
	}
}

// TestProxiedGameServesUtilityLocally: a proxied game whose
// [games.protocols] says utility = "local" answers Utility itself, with
// its own settings, while its other calls (the secure connection's) go to
// the upstream.
func TestProxiedGameServesUtilityLocally(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, runs after every other cleanup
	up := servicetest.Start(t, servicetest.Game{Platform: "wiiu", TOML: `
[games.utility.integer_settings]
8 = { 0 = 8 }
`}, nil)
	front := servicetest.Start(t, servicetest.Game{Platform: "wiiu", Upstream: up.AuthAddr("g").String(), TOML: `
[games.protocols]
utility = "local"
[games.utility.integer_settings]
7 = { 0 = 7 }
`}, nil)
	c := front.Login(t, "1001:pw1")
	ctx := ctx(t)
	u := utility.NewClient(c.Secure, c.Settings)
	if r, err := u.GetIntegerSettings(ctx, &utility.GetIntegerSettingsRequest{Index: 7}); err != nil || len(r.Settings) != 1 || r.Settings[0].Value != 7 {
		t.Errorf("the front's own settings: %+v, %v", r, err)
	}
	if _, err := u.GetIntegerSettings(ctx, &utility.GetIntegerSettingsRequest{Index: 8}); resultOf(err) != rmc.ResultCoreNotImplemented {
		t.Errorf("the upstream's settings came through: %v (the call went upstream)", err)
	}
	// The secure connection is the upstream's (the front serves none of
	// it): TestConnectivity succeeds only if it went upstream.
	if _, err := secureconnection.NewClient(c.Secure, c.Settings).TestConnectivity(ctx, &secureconnection.TestConnectivityRequest{}); err != nil {
		t.Errorf("a call for the upstream: %v", err)
	}
}
