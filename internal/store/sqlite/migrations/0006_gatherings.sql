-- Matchmake sessions (store.Gatherings). PIDs are u64 stored as their
-- int64 bit pattern. attributes and participants are JSON arrays;
-- entries (the participation count) is kept beside them so that vacancy
-- filters run in SQL.
CREATE TABLE gatherings (
    game         TEXT    NOT NULL,
    id           INTEGER NOT NULL,
    owner        INTEGER NOT NULL,
    host         INTEGER NOT NULL,
    min_p        INTEGER NOT NULL,
    max_p        INTEGER NOT NULL,
    policy       INTEGER NOT NULL,
    policy_arg   INTEGER NOT NULL,
    flags        INTEGER NOT NULL,
    state        INTEGER NOT NULL,
    description  TEXT    NOT NULL,
    game_mode    INTEGER NOT NULL,
    attributes   TEXT    NOT NULL,
    open         INTEGER NOT NULL,
    mm_system    INTEGER NOT NULL,
    app_buffer   BLOB    NOT NULL,
    progress     INTEGER NOT NULL,
    session_key  BLOB    NOT NULL,
    extra        BLOB    NOT NULL,
    participants TEXT    NOT NULL,
    entries      INTEGER NOT NULL,
    created_ms   INTEGER NOT NULL,
    PRIMARY KEY (game, id)
);

-- Who is in which gathering, for disconnects.
CREATE TABLE gathering_members (
    game TEXT    NOT NULL,
    pid  INTEGER NOT NULL,
    id   INTEGER NOT NULL,
    PRIMARY KEY (game, pid, id)
) WITHOUT ROWID;

-- The per-game id sequence: ids are never reused, even after a restart.
CREATE TABLE gathering_ids (
    game TEXT    NOT NULL PRIMARY KEY,
    next INTEGER NOT NULL
);
