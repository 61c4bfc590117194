-- The newsletter: subscribers (double opt-in), issues, and the per-recipient send journal
-- that makes every (issue, subscriber) pair go out once.
CREATE TABLE subscribers (
    id                   INTEGER PRIMARY KEY,
    email                TEXT    NOT NULL UNIQUE,
    status               TEXT    NOT NULL CHECK (status IN
                             ('pending', 'active', 'paused', 'unsubscribed', 'bounced')),
    digest               INTEGER NOT NULL DEFAULT 1,
    alerts               INTEGER NOT NULL DEFAULT 0,
    -- Section slugs of interest, JSON; empty means all.
    sections             TEXT    NOT NULL DEFAULT '[]',
    bounces              INTEGER NOT NULL DEFAULT 0,
    created_at           INTEGER NOT NULL,
    confirmed_at         INTEGER,
    updated_at           INTEGER NOT NULL,
    last_confirmation_at INTEGER
);
CREATE INDEX subscribers_status ON subscribers (status, created_at);

CREATE TABLE newsletter_issues (
    id          INTEGER PRIMARY KEY,
    -- What makes an issue unique, e.g. `digest:2026-12-03`: composing twice finds the first.
    key         TEXT    NOT NULL UNIQUE,
    kind        TEXT    NOT NULL CHECK (kind IN ('digest', 'alert', 'test')),
    subject     TEXT    NOT NULL,
    intro       TEXT    NOT NULL DEFAULT '',
    -- The stories it carries, JSON: {"lead": id, "top": [ids], "sections": {slug: [ids]}}.
    content     TEXT    NOT NULL,
    status      TEXT    NOT NULL CHECK (status IN ('sending', 'sent')),
    created_at  INTEGER NOT NULL,
    finished_at INTEGER
);

CREATE TABLE send_journal (
    issue_id      INTEGER NOT NULL REFERENCES newsletter_issues(id) ON DELETE CASCADE,
    subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
    status        TEXT    NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'bounced')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_at       INTEGER NOT NULL DEFAULT 0,
    lease_until   INTEGER,
    last_error    TEXT,
    sent_at       INTEGER,
    PRIMARY KEY (issue_id, subscriber_id)
) WITHOUT ROWID;
CREATE INDEX send_journal_todo ON send_journal (issue_id, status, next_at);
