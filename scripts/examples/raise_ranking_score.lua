-- raise_ranking_score.lua: add a bonus to every score uploaded to a ranking.
--
-- Ranking.UploadScore(RankingScoreData score_data, u64 unique_id): the
-- score is score_data.score, a u32. Editing call.params and returning
-- re-encodes the call through the schema; a value out of the u32 range
-- would make the hook fail and the call go on unchanged, so clamp it.

local BONUS = 1000

nex.on_request("Ranking", "UploadScore", function(call)
  local data = call.params.score_data
  data.score = math.min(data.score + BONUS, 0xFFFFFFFF)
  nex.log.debug("score raised to", data.score, "in category", data.category)
end)
