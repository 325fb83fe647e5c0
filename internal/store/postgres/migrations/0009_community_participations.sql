-- Participation counts per community (MatchmakeExtension): how many times
-- pid joined the persistent gathering gid or one of its matchmake sessions.
CREATE TABLE community_participations (
    game  text   NOT NULL,
    gid   bigint NOT NULL,
    pid   bigint NOT NULL,
    count bigint NOT NULL,
    PRIMARY KEY (game, pid, gid)
);
