-- The wire desk: agency sources, the items they send (every version kept), which articles
-- were made from which items, and the problems each source had.
CREATE TABLE wire_sources (
    id             INTEGER PRIMARY KEY,
    -- Short name, unique: "reuters", "dpa-sport".
    name           TEXT    NOT NULL UNIQUE,
    kind           TEXT    NOT NULL CHECK (kind IN ('file', 'feed', 'push', 'folder')),
    -- A feed's address.
    url            TEXT    NOT NULL DEFAULT '',
    -- SHA-256 (hex) of a push source's token; the token itself is shown once.
    token_hash     TEXT,
    -- Whether a feed may be fetched from a private or loopback address.
    allow_private  INTEGER NOT NULL DEFAULT 0,
    poll_secs      INTEGER NOT NULL DEFAULT 300,
    -- Routing: new items of this source become drafts (or, with auto_publish, stories) here.
    section        TEXT    NOT NULL DEFAULT '',
    auto_publish   INTEGER NOT NULL DEFAULT 0,
    -- Conditional GET state of a feed.
    etag           TEXT,
    last_modified  TEXT,
    -- When the next poll is due; while one runs, the end of its lease.
    next_poll_at   INTEGER NOT NULL DEFAULT 0,
    failures       INTEGER NOT NULL DEFAULT 0,
    paused         INTEGER NOT NULL DEFAULT 0,
    last_error     TEXT,
    last_ok_at     INTEGER,
    created_at     INTEGER NOT NULL
);

CREATE TABLE wire_items (
    id            INTEGER PRIMARY KEY,
    source_id     INTEGER NOT NULL REFERENCES wire_sources (id) ON DELETE CASCADE,
    guid          TEXT    NOT NULL,
    version       INTEGER NOT NULL,
    format        TEXT    NOT NULL,
    agency        TEXT    NOT NULL,
    urgency       INTEGER,
    slugline      TEXT    NOT NULL,
    headline      TEXT    NOT NULL,
    byline        TEXT    NOT NULL,
    dateline      TEXT    NOT NULL,
    -- Sanitised by the parser.
    body_html     TEXT    NOT NULL,
    -- JSON arrays.
    subjects      TEXT    NOT NULL,
    pictures      TEXT    NOT NULL,
    embargo_until INTEGER,
    language      TEXT    NOT NULL,
    signal        TEXT    NOT NULL,
    sent_at       INTEGER,
    link          TEXT,
    received_at   INTEGER NOT NULL,
    -- The newest version of its story: the desk lists only these.
    latest        INTEGER NOT NULL DEFAULT 1,
    -- The agency has withdrawn the story (a kill arrived for it).
    killed        INTEGER NOT NULL DEFAULT 0,
    UNIQUE (source_id, guid, version)
);
CREATE INDEX wire_items_desk ON wire_items (latest, received_at DESC, id DESC);
CREATE INDEX wire_items_story ON wire_items (source_id, guid);

-- An article made from an item. A later kill of the story flags the article.
CREATE TABLE wire_uses (
    article_id  INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    item_id     INTEGER NOT NULL REFERENCES wire_items (id) ON DELETE CASCADE,
    source_id   INTEGER NOT NULL,
    guid        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    flag        TEXT,
    flagged_at  INTEGER,
    cleared_at  INTEGER,
    PRIMARY KEY (article_id, item_id)
);
CREATE INDEX wire_uses_story ON wire_uses (source_id, guid);

CREATE TABLE wire_problems (
    id         INTEGER PRIMARY KEY,
    source_id  INTEGER NOT NULL REFERENCES wire_sources (id) ON DELETE CASCADE,
    at         INTEGER NOT NULL,
    -- The file, URL or item the problem concerns.
    item       TEXT    NOT NULL,
    reason     TEXT    NOT NULL
);
CREATE INDEX wire_problems_source ON wire_problems (source_id, at DESC);
