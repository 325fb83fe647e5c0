-- DataStore (protocol 115) object metadata. u64 values are stored bit for
-- bit in INTEGER; times are Unix milliseconds (0: none); lists are JSON.
CREATE TABLE datastore_counters (
    game TEXT PRIMARY KEY,
    next INTEGER NOT NULL
);

CREATE TABLE datastore_objects (
    game              TEXT    NOT NULL,
    data_id           INTEGER NOT NULL,
    owner             INTEGER NOT NULL,
    size              INTEGER NOT NULL,
    name              TEXT    NOT NULL,
    data_type         INTEGER NOT NULL,
    meta_binary       BLOB    NOT NULL,
    permission        INTEGER NOT NULL,
    recipients        TEXT    NOT NULL,
    delete_permission INTEGER NOT NULL,
    delete_recipients TEXT    NOT NULL,
    access_password   INTEGER NOT NULL,
    update_password   INTEGER NOT NULL,
    flag              INTEGER NOT NULL,
    period            INTEGER NOT NULL,
    refer_data_id     INTEGER NOT NULL,
    referred_count    INTEGER NOT NULL,
    referred_ms       INTEGER NOT NULL,
    tags              TEXT    NOT NULL,
    persistence_slot  INTEGER NOT NULL,
    delete_last       INTEGER NOT NULL,
    extra_data        TEXT    NOT NULL,
    status            INTEGER NOT NULL, -- 0 pending, 1 published, 2 deleted
    nex_status        INTEGER NOT NULL,
    version           INTEGER NOT NULL,
    created_ms        INTEGER NOT NULL,
    updated_ms        INTEGER NOT NULL,
    expires_ms        INTEGER NOT NULL,
    PRIMARY KEY (game, data_id)
);
-- Searches filter on published objects of a game, mostly by data type,
-- and sort by time; owners' lists go by owner.
CREATE INDEX datastore_by_type_created ON datastore_objects (game, status, data_type, permission, nex_status, created_ms);
CREATE INDEX datastore_by_created ON datastore_objects (game, status, created_ms);
CREATE INDEX datastore_by_updated ON datastore_objects (game, status, updated_ms);
CREATE INDEX datastore_by_owner ON datastore_objects (game, owner, status, created_ms);
CREATE INDEX datastore_by_expiry ON datastore_objects (status, expires_ms);
CREATE INDEX datastore_pending ON datastore_objects (status, created_ms);
-- One published object per (owner, persistence slot).
CREATE UNIQUE INDEX datastore_slots ON datastore_objects (game, owner, persistence_slot)
    WHERE status = 1 AND persistence_slot <> 65535;

CREATE TABLE datastore_tags (
    game    TEXT    NOT NULL,
    tag     TEXT    NOT NULL,
    data_id INTEGER NOT NULL,
    PRIMARY KEY (game, tag, data_id)
);
CREATE INDEX datastore_tags_by_id ON datastore_tags (game, data_id);

CREATE TABLE datastore_recipients (
    game    TEXT    NOT NULL,
    pid     INTEGER NOT NULL,
    data_id INTEGER NOT NULL,
    PRIMARY KEY (game, pid, data_id)
);
CREATE INDEX datastore_recipients_by_id ON datastore_recipients (game, data_id);

CREATE TABLE datastore_ratings (
    game            TEXT    NOT NULL,
    data_id         INTEGER NOT NULL,
    slot            INTEGER NOT NULL,
    flag            INTEGER NOT NULL,
    internal_flag   INTEGER NOT NULL,
    lock_type       INTEGER NOT NULL,
    initial_value   INTEGER NOT NULL,
    range_min       INTEGER NOT NULL,
    range_max       INTEGER NOT NULL,
    period_hour     INTEGER NOT NULL,
    period_duration INTEGER NOT NULL,
    total           INTEGER NOT NULL,
    count           INTEGER NOT NULL,
    PRIMARY KEY (game, data_id, slot)
);
CREATE INDEX datastore_ratings_by_total ON datastore_ratings (game, slot, total, data_id);

CREATE TABLE datastore_rating_log (
    game    TEXT    NOT NULL,
    data_id INTEGER NOT NULL,
    slot    INTEGER NOT NULL,
    pid     INTEGER NOT NULL,
    value   INTEGER NOT NULL,
    lock_ms INTEGER NOT NULL,
    PRIMARY KEY (game, data_id, slot, pid)
);
