-- DataStore new-arrival notifications (GetNewArrivedNotifications): one
-- row per (object posted with a notify flag, recipient). id increases per
-- game (drawn from datastore_counters under the key "notifications/<game>").
CREATE TABLE datastore_notifications (
    game      TEXT    NOT NULL,
    id        BIGINT NOT NULL,
    recipient BIGINT NOT NULL,
    data_id   BIGINT NOT NULL,
    PRIMARY KEY (game, id)
);
CREATE INDEX datastore_notifications_by_recipient ON datastore_notifications (game, recipient, id);
