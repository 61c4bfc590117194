-- The search crate's own tables (issue 18: the crate that queries a table creates it).
-- Sites whose store applied its former migration 3 already hold these objects: every
-- statement here is written to adopt them as they are (IF NOT EXISTS), so this migration
-- is the same for a new database and an upgraded one.
--
-- Search on PostgreSQL (the `SearchIndex` of several nodes): one row per public article with
-- a weighted tsvector (headline A, standfirst B, body C, bylines, tags, sources and photo
-- credits D) under a GIN index, the words seen
-- (pg_trgm finds the nearest for "did you mean"), and the change-log position applied.
-- pg_trgm lives in `public` and is named with it, so a site in its own schema finds it too.
CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;
CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public;

-- English stemming after folding accents: "Café", "cafe" and "cafés" are one word.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_ts_config
                   WHERE cfgname = 'broadsheet_english' AND cfgnamespace = current_schema()::regnamespace) THEN
        CREATE TEXT SEARCH CONFIGURATION broadsheet_english (COPY = pg_catalog.english);
        ALTER TEXT SEARCH CONFIGURATION broadsheet_english
            ALTER MAPPING FOR hword, hword_part, word WITH public.unaccent, english_stem;
    END IF;
END
$$;

CREATE TABLE IF NOT EXISTS search_docs (
    id           BIGINT   PRIMARY KEY,
    version      BIGINT   NOT NULL,
    slug         TEXT     NOT NULL,
    headline     TEXT     NOT NULL,
    section_id   BIGINT   NOT NULL,
    section_slug TEXT     NOT NULL,
    section_name TEXT     NOT NULL,
    author_ids   BIGINT[] NOT NULL,
    tag_ids      BIGINT[] NOT NULL,
    -- JSON list of the bylines, as a hit shows them.
    authors      TEXT     NOT NULL,
    published_at BIGINT   NOT NULL,
    -- Plain text, HTML-escaped, for ts_headline snippets.
    body         TEXT     NOT NULL,
    doc          tsvector NOT NULL
);
CREATE INDEX IF NOT EXISTS search_docs_doc ON search_docs USING GIN (doc);
CREATE INDEX IF NOT EXISTS search_docs_published ON search_docs (published_at DESC);
CREATE INDEX IF NOT EXISTS search_docs_headline ON search_docs USING GIN (to_tsvector('simple', headline));

CREATE TABLE IF NOT EXISTS search_words (
    word TEXT PRIMARY KEY
);
CREATE INDEX IF NOT EXISTS search_words_trgm ON search_words USING GIN (word public.gin_trgm_ops);

CREATE TABLE IF NOT EXISTS search_state (
    key   TEXT   PRIMARY KEY,
    value BIGINT NOT NULL
);
