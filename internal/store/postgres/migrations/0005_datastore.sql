-- DataStore (protocol 115) object metadata. u64 values are stored bit for
-- bit in BIGINT; times are Unix milliseconds (0: none); lists are JSON.
CREATE TABLE datastore_counters (
    game TEXT PRIMARY KEY,
    next BIGINT NOT NULL
);

CREATE TABLE datastore_objects (
    game              TEXT    NOT NULL,
    data_id           BIGINT NOT NULL,
    owner             BIGINT NOT NULL,
    size              BIGINT NOT NULL,
    name              TEXT    NOT NULL,
    data_type         BIGINT NOT NULL,
    meta_binary       BYTEA   NOT NULL,
    permission        BIGINT NOT NULL,
    recipients        TEXT    NOT NULL,
    delete_permission BIGINT NOT NULL,
    delete_recipients TEXT    NOT NULL,
    access_password   BIGINT NOT NULL,
    update_password   BIGINT NOT NULL,
    flag              BIGINT NOT NULL,
    period            BIGINT NOT NULL,
    refer_data_id     BIGINT NOT NULL,
    referred_count    BIGINT NOT NULL,
    referred_ms       BIGINT NOT NULL,
    tags              TEXT    NOT NULL,
    persistence_slot  BIGINT NOT NULL,
    delete_last       BIGINT NOT NULL,
    extra_data        TEXT    NOT NULL,
    status            BIGINT NOT NULL, -- 0 pending, 1 published, 2 deleted
    nex_status        BIGINT NOT NULL,
    version           BIGINT NOT NULL,
    created_ms        BIGINT NOT NULL,
    updated_ms        BIGINT NOT NULL,
    expires_ms        BIGINT NOT NULL,
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
    data_id BIGINT NOT NULL,
    PRIMARY KEY (game, tag, data_id)
);
CREATE INDEX datastore_tags_by_id ON datastore_tags (game, data_id);

CREATE TABLE datastore_recipients (
    game    TEXT    NOT NULL,
    pid     BIGINT NOT NULL,
    data_id BIGINT NOT NULL,
    PRIMARY KEY (game, pid, data_id)
);
CREATE INDEX datastore_recipients_by_id ON datastore_recipients (game, data_id);

CREATE TABLE datastore_ratings (
    game            TEXT    NOT NULL,
    data_id         BIGINT NOT NULL,
    slot            BIGINT NOT NULL,
    flag            BIGINT NOT NULL,
    internal_flag   BIGINT NOT NULL,
    lock_type       BIGINT NOT NULL,
    initial_value   BIGINT NOT NULL,
    range_min       BIGINT NOT NULL,
    range_max       BIGINT NOT NULL,
    period_hour     BIGINT NOT NULL,
    period_duration BIGINT NOT NULL,
    total           BIGINT NOT NULL,
    count           BIGINT NOT NULL,
    PRIMARY KEY (game, data_id, slot)
);
CREATE INDEX datastore_ratings_by_total ON datastore_ratings (game, slot, total, data_id);

CREATE TABLE datastore_rating_log (
    game    TEXT    NOT NULL,
    data_id BIGINT NOT NULL,
    slot    BIGINT NOT NULL,
    pid     BIGINT NOT NULL,
    value   BIGINT NOT NULL,
    lock_ms BIGINT NOT NULL,
    PRIMARY KEY (game, data_id, slot, pid)
);
