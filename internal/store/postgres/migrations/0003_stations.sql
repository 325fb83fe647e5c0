-- Presence of secure connections with leases; the database clock decides
-- expiry, so instances on different machines agree.
CREATE TABLE stations (
    game     text        NOT NULL,
    pid      bigint      NOT NULL,
    rvcid    bigint      NOT NULL,
    instance text        NOT NULL,
    urls     text[]      NOT NULL,
    expires  timestamptz NOT NULL,
    PRIMARY KEY (game, pid)
);
CREATE INDEX stations_by_rvcid ON stations (game, rvcid);
CREATE INDEX stations_by_expiry ON stations (expires);

CREATE TABLE rvcid_counters (
    game text   PRIMARY KEY,
    next bigint NOT NULL
);
