-- NEX accounts. PIDs are uint64 stored bit for bit in INTEGER (int64).
CREATE TABLE accounts (
    pid          INTEGER PRIMARY KEY,
    username     TEXT    NOT NULL,
    -- strings.ToLower(username), computed in Go so that every backend
    -- folds case the same way.
    username_key TEXT    NOT NULL UNIQUE,
    password     TEXT    NOT NULL,
    game         TEXT    NOT NULL DEFAULT '',
    created_ms   INTEGER NOT NULL
);
