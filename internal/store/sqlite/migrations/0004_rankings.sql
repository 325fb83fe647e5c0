-- Ranking scores (store.Rankings). PIDs, unique ids and params are u64
-- stored as their int64 bit pattern. No score index: package rankmem keeps
-- the order in memory and reads a category in bulk.
CREATE TABLE ranking_scores (
    game       TEXT    NOT NULL,
    category   INTEGER NOT NULL,
    pid        INTEGER NOT NULL,
    unique_id  INTEGER NOT NULL,
    score      INTEGER NOT NULL,
    groups     BLOB    NOT NULL,
    param      INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    PRIMARY KEY (game, category, pid, unique_id)
) WITHOUT ROWID; -- the primary key is the table: one B-tree less per write
CREATE INDEX ranking_scores_by_owner ON ranking_scores (game, pid, unique_id);

-- The order the first upload of a category recorded.
CREATE TABLE ranking_categories (
    game       TEXT    NOT NULL,
    category   INTEGER NOT NULL,
    descending INTEGER NOT NULL,
    PRIMARY KEY (game, category)
);

-- Common data per owner (PID, unique id).
CREATE TABLE ranking_common_data (
    game      TEXT    NOT NULL,
    pid       INTEGER NOT NULL,
    unique_id INTEGER NOT NULL,
    data      BLOB    NOT NULL,
    PRIMARY KEY (game, pid, unique_id)
);
