-- NEX accounts. PIDs are uint64 stored bit for bit in bigint.
CREATE TABLE accounts (
    pid          bigint      PRIMARY KEY,
    username     text        NOT NULL,
    -- strings.ToLower(username), computed in Go like the other backends.
    username_key text        NOT NULL UNIQUE,
    password     text        NOT NULL,
    game         text        NOT NULL DEFAULT '',
    created      timestamptz NOT NULL
);
