-- Next free NEX unique id per game (Reserve).
CREATE TABLE unique_id_counters (
    game TEXT PRIMARY KEY,
    next INTEGER NOT NULL
);

-- Every unique id ever associated, with its password and current owner
-- (pid 0: released). seq orders a PID's ids, most recent first.
CREATE TABLE unique_ids (
    game       TEXT    NOT NULL,
    id         INTEGER NOT NULL,
    password   INTEGER NOT NULL,
    pid        INTEGER NOT NULL DEFAULT 0,
    is_primary INTEGER NOT NULL DEFAULT 0,
    seq        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (game, id)
);
CREATE INDEX unique_ids_by_pid ON unique_ids (game, pid);
