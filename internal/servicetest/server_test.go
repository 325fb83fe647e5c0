package servicetest_test

import (
	"context"
	"testing"
	"time"

	"github.com/nexproxy/nexproxy/internal/servicetest"
	"github.com/nexproxy/nexproxy/rmc/protocols/secureconnection"

	_ "github.com/nexproxy/nexproxy/proxy/builtin/auth"
	_ "github.com/nexproxy/nexproxy/proxy/builtin/secure"
)

// TestStartAndLogin: the harness serves a game with the registered
// services and a console logs in and calls a typed method.
func TestStartAndLogin(t *testing.T) {
	for _, platform := range []string{"friends", "3ds", "wiiu", "switch"} {
		t.Run(platform, func(t *testing.T) {
			srv := servicetest.Start(t, servicetest.Game{Platform: platform}, nil)
			c := srv.Login(t, "1001:pw1")
			if c.PID != 1001 {
				t.Fatalf("PID %d", c.PID)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if _, err := secureconnection.NewClient(c.Secure, c.Settings).TestConnectivity(ctx, &secureconnection.TestConnectivityRequest{}); err != nil {
				t.Fatal(err)
			}
		})
	}
}
