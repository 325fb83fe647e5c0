-- The open sessions with room, in id order: what an auto-matchmake reads
-- while it holds its pool's lock. Full and closed sessions (most of them
-- once a game is busy) stay out of the index, so that read stays small.
CREATE INDEX gatherings_vacant ON gatherings (game, id) WHERE open AND (max_p = 0 OR entries < max_p);
