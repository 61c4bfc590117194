-- Broadsheet schema for SQLite. Times are Unix seconds (UTC).
CREATE TABLE media (
    id         INTEGER PRIMARY KEY,
    path       TEXT    NOT NULL UNIQUE,
    mime       TEXT    NOT NULL,
    width      INTEGER NOT NULL,
    height     INTEGER NOT NULL,
    bytes      INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE sections (
    id          INTEGER PRIMARY KEY,
    slug        TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    parent_id   INTEGER REFERENCES sections(id) ON DELETE SET NULL,
    position    INTEGER NOT NULL DEFAULT 0,
    in_menu     INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE authors (
    id             INTEGER PRIMARY KEY,
    slug           TEXT    NOT NULL UNIQUE,
    name           TEXT    NOT NULL,
    bio            TEXT    NOT NULL DEFAULT '',
    photo_media_id INTEGER REFERENCES media(id) ON DELETE SET NULL
);

CREATE TABLE tags (
    id   INTEGER PRIMARY KEY,
    slug TEXT    NOT NULL UNIQUE,
    name TEXT    NOT NULL
);

CREATE TABLE articles (
    id                  INTEGER PRIMARY KEY,
    external_id         TEXT    UNIQUE,
    slug                TEXT    NOT NULL UNIQUE,
    headline            TEXT    NOT NULL,
    standfirst          TEXT    NOT NULL DEFAULT '',
    body_markdown       TEXT    NOT NULL,
    body_html           TEXT    NOT NULL,
    section_id          INTEGER NOT NULL REFERENCES sections(id),
    hero_media_id       INTEGER REFERENCES media(id) ON DELETE SET NULL,
    hero_alt            TEXT    NOT NULL DEFAULT '',
    hero_caption        TEXT    NOT NULL DEFAULT '',
    credit_photographer TEXT,
    credit_agency       TEXT,
    credit_via          TEXT,
    sources             TEXT    NOT NULL DEFAULT '[]',
    status              TEXT    NOT NULL CHECK (status IN
                            ('draft', 'in_review', 'scheduled', 'published', 'unpublished')),
    importance          INTEGER NOT NULL DEFAULT 0,
    published_at        INTEGER,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    -- Bumped on every change: derived copies (the search index) and editors compare it.
    version             INTEGER NOT NULL DEFAULT 1,
    input_hash          TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX articles_public  ON articles (status, published_at DESC, id DESC);
CREATE INDEX articles_section ON articles (section_id, status, published_at DESC, id DESC);

CREATE TABLE article_authors (
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    author_id  INTEGER NOT NULL REFERENCES authors(id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    PRIMARY KEY (article_id, author_id)
);
CREATE INDEX article_authors_author ON article_authors (author_id);

CREATE TABLE article_tags (
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    tag_id     INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    PRIMARY KEY (article_id, tag_id)
);
CREATE INDEX article_tags_tag ON article_tags (tag_id);

-- The change log: every content write appends the cache keys it touched, so every server
-- process reading this database (including one running while `broadsheet import` writes)
-- can invalidate exactly the pages that changed.
CREATE TABLE changes (
    seq  INTEGER PRIMARY KEY AUTOINCREMENT,
    keys TEXT    NOT NULL,
    at   INTEGER NOT NULL
);

-- Site settings edited by the newsroom (site name, tagline, …), as text values.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
