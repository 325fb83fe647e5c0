-- Ranking scores (store.Rankings). PIDs, unique ids and params are u64
-- stored as their bigint bit pattern. No score index: package rankmem
-- keeps the order in memory and reads a category in bulk.
CREATE TABLE ranking_scores (
    game       text     NOT NULL,
    category   bigint   NOT NULL,
    pid        bigint   NOT NULL,
    unique_id  bigint   NOT NULL,
    score      bigint   NOT NULL,
    groups     bytea    NOT NULL,
    param      bigint   NOT NULL,
    updated_ms bigint   NOT NULL,
    PRIMARY KEY (game, category, pid, unique_id)
);
CREATE INDEX ranking_scores_by_owner ON ranking_scores (game, pid, unique_id);

-- The order the first upload of a category recorded.
CREATE TABLE ranking_categories (
    game       text    NOT NULL,
    category   bigint  NOT NULL,
    descending boolean NOT NULL,
    PRIMARY KEY (game, category)
);

-- Common data per owner (PID, unique id).
CREATE TABLE ranking_common_data (
    game      text   NOT NULL,
    pid       bigint NOT NULL,
    unique_id bigint NOT NULL,
    data      bytea  NOT NULL,
    PRIMARY KEY (game, pid, unique_id)
);
