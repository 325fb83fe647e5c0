-- DataStore new-arrival notifications (GetNewArrivedNotifications): one
-- row per (object posted with a notify flag, recipient). id increases per
-- game (drawn from datastore_counters under the key "notifications/<game>").
CREATE TABLE datastore_notifications (
    game      TEXT    NOT NULL,
    id        INTEGER NOT NULL,
    recipient INTEGER NOT NULL,
    data_id   INTEGER NOT NULL,
    PRIMARY KEY (game, id)
);
CREATE INDEX datastore_notifications_by_recipient ON datastore_notifications (game, recipient, id);
