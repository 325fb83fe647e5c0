package scripts

import (
	"context"
	"slices"
	"testing"
)

// TestMatchmakeCriteria: nex.matchmake_criteria sees the criteria as
// tables and its answer replaces them (fields changed, a criterion added);
// nil keeps them; a wrong answer is an error; without the function the
// criteria pass unchanged.
func TestMatchmakeCriteria(t *testing.T) {
	e, _ := newEngine(t, map[string]string{"s.lua": `
nex.matchmake_criteria = function(criteria, pid, game)
  if game == "keep" then return nil end
  if game == "bad" then return {"x"} end
  if game == "long" then local t = {} for i = 1, 9 do t[i] = {} end return t end
  local c = criteria[1]
  if c.game_mode ~= "3" or c.attribs[2] ~= "7" or not c.vacant_only or c.vacant_participants ~= 2 or tostring(pid) ~= "42" then
    error("unexpected input")
  end
  c.attribs[5] = ""
  c.selection_method = 1
  table.insert(criteria, {attribs = {"1"}, game_mode = 4, exclude_locked = true, refer_gid = 9})
  return criteria
end`})
	ctx := context.Background()
	in := []SearchCriterion{{Attribs: []string{"0", "7", "", "", "5", ""}, GameMode: "3", VacantOnly: true, VacantParticipants: 2, Codeword: "cw"}}
	out, ok, err := e.MatchmakeCriteria(ctx, "g", 42, in)
	if err != nil || !ok || len(out) != 2 {
		t.Fatalf("MatchmakeCriteria = %+v %v %v", out, ok, err)
	}
	if !slices.Equal(out[0].Attribs, []string{"0", "7", "", "", "", ""}) || out[0].SelectionMethod != 1 || out[0].Codeword != "cw" ||
		!out[0].VacantOnly || out[0].VacantParticipants != 2 {
		t.Errorf("changed criterion = %+v", out[0])
	}
	if want := (SearchCriterion{Attribs: []string{"1"}, GameMode: "4", ExcludeLocked: true, ReferGID: 9}); !slices.Equal(out[1].Attribs, want.Attribs) ||
		out[1].GameMode != want.GameMode || !out[1].ExcludeLocked || out[1].ReferGID != 9 {
		t.Errorf("added criterion = %+v", out[1])
	}
	if got, ok, err := e.MatchmakeCriteria(ctx, "keep", 42, in); err != nil || !ok || len(got) != 1 || got[0].GameMode != "3" {
		t.Errorf("nil answer: %+v %v %v", got, ok, err)
	}
	for _, game := range []string{"bad", "long"} {
		if _, _, err := e.MatchmakeCriteria(ctx, game, 42, in); err == nil {
			t.Errorf("%s: a wrong answer was accepted", game)
		}
	}
	none, _ := newEngine(t, map[string]string{"a.lua": "local x = 1\n"})
	if got, ok, err := none.MatchmakeCriteria(ctx, "g", 1, in); ok || err != nil || len(got) != 1 {
		t.Errorf("no matchmake_criteria: %v %v %v", got, ok, err)
	}
}
