-- The gatherings an auto-matchmake can join: open, with room. Full and
-- closed sessions leave the index, so AutoJoin's search reads the few
-- joinable sessions instead of every session of the game.
CREATE INDEX gatherings_vacant ON gatherings (game, id)
    WHERE open = 1 AND (max_p = 0 OR entries < max_p);
