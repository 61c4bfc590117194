-- Webhooks: subscriptions to events, and the outbox of deliveries. A delivery row is written
-- in the same transaction as the change it reports (a save, a scheduled publication, a
-- confirmed subscriber), so no event is lost and none is sent for a change that rolled back.
CREATE TABLE webhooks (
    id          INTEGER PRIMARY KEY,
    url         TEXT    NOT NULL,
    -- JSON array of event names, e.g. ["article.published", "article.updated"].
    events      TEXT    NOT NULL,
    -- The HMAC-SHA256 key the receiver verifies signatures with.
    secret      TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    active      INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL
);

CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY,
    webhook_id      INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event           TEXT    NOT NULL,
    -- The JSON body, fixed when the event happened.
    payload         TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    -- When the next attempt is due; while one is in flight, the end of its lease.
    next_attempt_at INTEGER NOT NULL,
    last_status     INTEGER,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    finished_at     INTEGER
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
