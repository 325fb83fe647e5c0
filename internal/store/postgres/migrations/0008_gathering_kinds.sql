-- Gathering kinds (plain Gathering, MatchmakeSession, PersistentGathering
-- i.e. communities) share one id space and table; kind tells them apart.
ALTER TABLE gatherings ADD COLUMN kind text NOT NULL DEFAULT 'MatchmakeSession';

-- Block lists (MatchmakeExtension AddToBlockList...): pid blocked blocked.
CREATE TABLE gathering_blocks (
    game    text   NOT NULL,
    pid     bigint NOT NULL,
    blocked bigint NOT NULL,
    PRIMARY KEY (game, pid, blocked)
);

-- Notification data (UpdateNotificationData): the current record per
-- (sender, type); active until the sender disconnects.
CREATE TABLE gathering_notices (
    game   text    NOT NULL,
    pid    bigint  NOT NULL,
    type   bigint  NOT NULL,
    param1 bigint  NOT NULL,
    param2 bigint  NOT NULL,
    text   text    NOT NULL,
    active boolean NOT NULL,
    PRIMARY KEY (game, pid, type)
);
