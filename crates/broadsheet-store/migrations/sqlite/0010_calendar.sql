-- The economic calendar: indicators, their scheduled releases, every version of a release's
-- figures, and the stories written about a release.
CREATE TABLE calendar_indicators (
    id         INTEGER PRIMARY KEY,
    slug       TEXT    NOT NULL UNIQUE,
    country    TEXT    NOT NULL,
    title      TEXT    NOT NULL,
    category   TEXT    NOT NULL DEFAULT '',
    importance TEXT    NOT NULL CHECK (importance IN ('low', 'medium', 'high')),
    unit       TEXT    NOT NULL DEFAULT '',
    scale      TEXT    NOT NULL DEFAULT 'units'
                   CHECK (scale IN ('units', 'thousands', 'millions', 'billions', 'trillions')),
    decimals   INTEGER NOT NULL DEFAULT 1,
    instrument TEXT
);

-- `day` is the UTC day of `at`: with the indicator it names a release that has no id of its own.
CREATE TABLE calendar_events (
    id               INTEGER PRIMARY KEY,
    indicator_id     INTEGER NOT NULL REFERENCES calendar_indicators(id) ON DELETE CASCADE,
    external_id      TEXT    UNIQUE,
    period           TEXT    NOT NULL DEFAULT '',
    at               INTEGER NOT NULL,
    day              TEXT    NOT NULL,
    timing           TEXT    NOT NULL CHECK (timing IN ('exact', 'all_day', 'tentative')),
    previous         REAL,
    revised_previous REAL,
    consensus        REAL,
    actual           REAL,
    updated_at       INTEGER NOT NULL,
    UNIQUE (indicator_id, day)
);
CREATE INDEX calendar_events_at ON calendar_events (at);

CREATE TABLE calendar_revisions (
    id               INTEGER PRIMARY KEY,
    event_id         INTEGER NOT NULL REFERENCES calendar_events(id) ON DELETE CASCADE,
    at               INTEGER NOT NULL,
    source           TEXT    NOT NULL,
    period           TEXT    NOT NULL,
    scheduled_at     INTEGER NOT NULL,
    timing           TEXT    NOT NULL,
    previous         REAL,
    revised_previous REAL,
    consensus        REAL,
    actual           REAL
);
CREATE INDEX calendar_revisions_event ON calendar_revisions (event_id, id);

CREATE TABLE calendar_event_articles (
    event_id   INTEGER NOT NULL REFERENCES calendar_events(id) ON DELETE CASCADE,
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    PRIMARY KEY (event_id, article_id)
);
