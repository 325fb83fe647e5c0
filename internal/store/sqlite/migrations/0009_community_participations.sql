-- Participation counts per community (MatchmakeExtension): how many times
-- pid joined the persistent gathering gid or one of its matchmake sessions.
CREATE TABLE community_participations (
    game  TEXT    NOT NULL,
    gid   INTEGER NOT NULL,
    pid   INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (game, pid, gid)
) WITHOUT ROWID;
