-- Gathering kinds (plain Gathering, MatchmakeSession, PersistentGathering
-- i.e. communities) share one id space and table; kind tells them apart.
ALTER TABLE gatherings ADD COLUMN kind TEXT NOT NULL DEFAULT 'MatchmakeSession';

-- Block lists (MatchmakeExtension AddToBlockList...): pid blocked blocked.
CREATE TABLE gathering_blocks (
    game    TEXT    NOT NULL,
    pid     INTEGER NOT NULL,
    blocked INTEGER NOT NULL,
    PRIMARY KEY (game, pid, blocked)
) WITHOUT ROWID;

-- Notification data (UpdateNotificationData): the current record per
-- (sender, type); active until the sender disconnects.
CREATE TABLE gathering_notices (
    game   TEXT    NOT NULL,
    pid    INTEGER NOT NULL,
    type   INTEGER NOT NULL,
    param1 INTEGER NOT NULL,
    param2 INTEGER NOT NULL,
    text   TEXT    NOT NULL,
    active INTEGER NOT NULL,
    PRIMARY KEY (game, pid, type)
) WITHOUT ROWID;
