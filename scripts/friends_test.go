package scripts

import (
	"context"
	"slices"
	"testing"
)

// TestFriendsOf: nex.friends_of answers the services' friend lists, with
// PIDs as numbers, 64-bit values or strings; a script without it knows no
// friends, and a wrong answer is an error, not a guess.
func TestFriendsOf(t *testing.T) {
	e, _ := newEngine(t, map[string]string{"f.lua": `
nex.friends_of = function(pid, game)
  if game ~= "g" then return nil end
  if tostring(pid) == "1" then return {2, nex.u64("18446744073709551615"), "42"} end
  if tostring(pid) == "2" then return "nobody" end
  if tostring(pid) == "3" then local t = {} for i = 1, 2000 do t[i] = i end return t end
  return {}
end`})
	ctx := context.Background()
	got, ok, err := e.FriendsOf(ctx, "g", 1)
	if err != nil || !ok || !slices.Equal(got, []uint64{2, 18446744073709551615, 42}) {
		t.Errorf("friends of 1: %v %v %v", got, ok, err)
	}
	if got, ok, err := e.FriendsOf(ctx, "other", 1); err != nil || !ok || len(got) != 0 {
		t.Errorf("another game: %v %v %v", got, ok, err)
	}
	for _, pid := range []uint64{2, 3} {
		if _, _, err := e.FriendsOf(ctx, "g", pid); err == nil {
			t.Errorf("pid %d: a wrong answer was accepted", pid)
		}
	}
	none, _ := newEngine(t, map[string]string{"a.lua": "local x = 1\n"})
	if got, ok, err := none.FriendsOf(ctx, "g", 1); ok || err != nil || got != nil {
		t.Errorf("no friends_of: %v %v %v", got, ok, err)
	}
}
