-- matchmake_search_rewrite.lua: widen matchmaking searches.
--
-- Many games put the console's region in one of the six search attributes,
-- so players of different regions never meet. Clearing that attribute
-- (an empty string matches anything) and accepting full sessions lets
-- every console find every other. The attribute index is game specific:
-- check a session log of your game (MatchmakeSessionSearchCriteria.attribs).

local REGION_ATTRIB = 4 -- Lua arrays start at 1: this is attribs[3] on the wire

local function widen(criteria)
  criteria.attribs[REGION_ATTRIB] = ""
  criteria.vacant_only = false
end

-- AutoMatchmakeWithSearchCriteria_Postpone(list<MatchmakeSessionSearchCriteria>
-- search_criteria, anydata<Gathering> gathering, string message)
nex.on_request("MatchmakeExtension", "AutoMatchmakeWithSearchCriteria_Postpone", function(call)
  for _, criteria in ipairs(call.params.search_criteria) do
    widen(criteria)
  end
end)

-- BrowseMatchmakeSession(MatchmakeSessionSearchCriteria search_criteria, ResultRange range)
nex.on_request("MatchmakeExtension", "BrowseMatchmakeSession", function(call)
  widen(call.params.search_criteria)
end)
