CREATE TABLE unique_id_counters (
    game text   PRIMARY KEY,
    next bigint NOT NULL
);

-- Every unique id ever associated; pid 0 = released. seq orders a PID's
-- ids, most recent first.
CREATE TABLE unique_ids (
    game       text    NOT NULL,
    id         bigint  NOT NULL,
    password   bigint  NOT NULL,
    pid        bigint  NOT NULL DEFAULT 0,
    is_primary boolean NOT NULL DEFAULT false,
    seq        bigint  NOT NULL DEFAULT 0,
    PRIMARY KEY (game, id)
);
CREATE INDEX unique_ids_by_pid ON unique_ids (game, pid);
