-- Matchmake sessions (store.Gatherings). PIDs are u64 stored as their
-- bigint bit pattern; attributes and participants are JSON arrays as
-- text; entries (the participation count) is kept beside them so that
-- vacancy filters run in SQL.
CREATE TABLE gatherings (
    game         text    NOT NULL,
    id           bigint  NOT NULL,
    owner        bigint  NOT NULL,
    host         bigint  NOT NULL,
    min_p        integer NOT NULL,
    max_p        integer NOT NULL,
    policy       bigint  NOT NULL,
    policy_arg   bigint  NOT NULL,
    flags        bigint  NOT NULL,
    state        bigint  NOT NULL,
    description  text    NOT NULL,
    game_mode    bigint  NOT NULL,
    attributes   text    NOT NULL,
    open         boolean NOT NULL,
    mm_system    bigint  NOT NULL,
    app_buffer   bytea   NOT NULL,
    progress     integer NOT NULL,
    session_key  bytea   NOT NULL,
    extra        bytea   NOT NULL,
    participants text    NOT NULL,
    entries      integer NOT NULL,
    created_ms   bigint  NOT NULL,
    PRIMARY KEY (game, id)
);

-- Who is in which gathering, for searches that exclude the searcher.
CREATE TABLE gathering_members (
    game text   NOT NULL,
    pid  bigint NOT NULL,
    id   bigint NOT NULL,
    PRIMARY KEY (game, pid, id)
);

-- The per-game id sequence: ids are never reused, even after a restart.
CREATE TABLE gathering_ids (
    game text   NOT NULL PRIMARY KEY,
    next bigint NOT NULL
);
