-- Presence of secure connections, with leases (expires_ms, Unix ms).
CREATE TABLE stations (
    game       TEXT    NOT NULL,
    pid        INTEGER NOT NULL,
    rvcid      INTEGER NOT NULL,
    instance   TEXT    NOT NULL,
    urls       TEXT    NOT NULL, -- JSON array of strings
    expires_ms INTEGER NOT NULL,
    PRIMARY KEY (game, pid)
);
CREATE INDEX stations_by_rvcid ON stations (game, rvcid);
CREATE INDEX stations_by_expiry ON stations (expires_ms);

-- Connection id counter per game (AllocateRVCID).
CREATE TABLE rvcid_counters (
    game TEXT PRIMARY KEY,
    next INTEGER NOT NULL
);
