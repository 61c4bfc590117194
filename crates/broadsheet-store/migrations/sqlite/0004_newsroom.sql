-- The newsroom: accounts, sessions, one-time links, revisions, corrections, slug redirects,
-- the audit log, and the editorial fields of articles and media.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('contributor', 'author', 'editor', 'admin')),
    password_hash TEXT    NOT NULL,
    author_id     INTEGER REFERENCES authors(id) ON DELETE SET NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);

-- Sessions are looked up by the SHA-256 of the cookie value: a copy of this table cannot be
-- replayed as cookies.
CREATE TABLE sessions (
    token_hash TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Password reset and first-admin setup links: stored hashed, expiring, used once.
CREATE TABLE one_time_tokens (
    token_hash TEXT    PRIMARY KEY,
    kind       TEXT    NOT NULL CHECK (kind IN ('reset', 'setup')),
    user_id    INTEGER REFERENCES users(id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);

ALTER TABLE articles ADD COLUMN embargo_until   INTEGER;
ALTER TABLE articles ADD COLUMN pinned          INTEGER NOT NULL DEFAULT 0;
ALTER TABLE articles ADD COLUMN seo_title       TEXT    NOT NULL DEFAULT '';
ALTER TABLE articles ADD COLUMN seo_description TEXT    NOT NULL DEFAULT '';
ALTER TABLE articles ADD COLUMN created_by      INTEGER REFERENCES users(id) ON DELETE SET NULL;
CREATE INDEX articles_status_updated ON articles (status, updated_at DESC);

CREATE TABLE article_revisions (
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    version    INTEGER NOT NULL,
    user_id    INTEGER REFERENCES users(id) ON DELETE SET NULL,
    at         INTEGER NOT NULL,
    snapshot   TEXT    NOT NULL,
    PRIMARY KEY (article_id, version)
);

CREATE TABLE article_notes (
    id         INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL CHECK (kind IN ('correction', 'update')),
    text       TEXT    NOT NULL,
    at         INTEGER NOT NULL
);
CREATE INDEX article_notes_article ON article_notes (article_id, at);

-- Old slugs of published articles, so links keep working (301 to the current slug).
CREATE TABLE slug_redirects (
    old_slug   TEXT    PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE
);

CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    user_id    INTEGER REFERENCES users(id) ON DELETE SET NULL,
    action     TEXT    NOT NULL,
    article_id INTEGER,
    detail     TEXT    NOT NULL DEFAULT ''
);

ALTER TABLE media ADD COLUMN variants            TEXT NOT NULL DEFAULT '[]';
ALTER TABLE media ADD COLUMN name                TEXT NOT NULL DEFAULT '';
ALTER TABLE media ADD COLUMN alt                 TEXT NOT NULL DEFAULT '';
ALTER TABLE media ADD COLUMN caption             TEXT NOT NULL DEFAULT '';
ALTER TABLE media ADD COLUMN credit_photographer TEXT NOT NULL DEFAULT '';
ALTER TABLE media ADD COLUMN credit_agency       TEXT NOT NULL DEFAULT '';
ALTER TABLE media ADD COLUMN credit_via          TEXT NOT NULL DEFAULT '';
ALTER TABLE media ADD COLUMN uploaded_by         INTEGER REFERENCES users(id) ON DELETE SET NULL;
