package matchmaking_test

import (
	"strings"
	"testing"

	"github.com/nexproxy/nexproxy/internal/servicetest"
	"github.com/nexproxy/nexproxy/proxy/config"
)

// TestConfigGhostSweep: [games.matchmaking] ghost_sweep takes a duration
// and refuses a negative one by its key.
func TestConfigGhostSweep(t *testing.T) {
	if _, err := config.LoadTOML(servicetest.Game{TOML: "[games.matchmaking]\nghost_sweep = \"0s\"\n"}.TOMLText(t)); err != nil {
		t.Errorf("ghost_sweep = 0s: %v", err)
	}
	_, err := config.LoadTOML(servicetest.Game{TOML: "[games.matchmaking]\nghost_sweep = \"-1s\"\n"}.TOMLText(t))
	if err == nil || !strings.Contains(err.Error(), "matchmaking.ghost_sweep") {
		t.Errorf("negative ghost_sweep: %v", err)
	}
}

// TestConfigJoinClosedWithParam: [games.matchmaking]
// join_closed_with_param takes a boolean.
func TestConfigJoinClosedWithParam(t *testing.T) {
	if _, err := config.LoadTOML(servicetest.Game{TOML: "[games.matchmaking]\njoin_closed_with_param = true\n"}.TOMLText(t)); err != nil {
		t.Errorf("join_closed_with_param = true: %v", err)
	}
	_, err := config.LoadTOML(servicetest.Game{TOML: "[games.matchmaking]\njoin_closed_with_param = \"sometimes\"\n"}.TOMLText(t))
	if err == nil || !strings.Contains(err.Error(), "matchmaking.join_closed_with_param") {
		t.Errorf("join_closed_with_param = \"sometimes\": %v", err)
	}
}
