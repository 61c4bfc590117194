-- Keys for the HTTP API: content keys read the public Content API (/api/v1); admin keys
-- belong to a user and act with that user's role. Only a SHA-256 of each key is stored;
-- the key itself is shown once, when it is made.
CREATE TABLE api_keys (
    id           INTEGER PRIMARY KEY,
    name         TEXT    NOT NULL,
    kind         TEXT    NOT NULL CHECK (kind IN ('content', 'admin')),
    key_hash     TEXT    NOT NULL UNIQUE,
    -- The first characters of the key, so a list can say which key is which.
    prefix       TEXT    NOT NULL,
    user_id      INTEGER REFERENCES users (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    revoked_at   INTEGER,
    CHECK ((kind = 'admin') = (user_id IS NOT NULL))
);
