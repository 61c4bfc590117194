-- Market data: instruments and their daily bars.
CREATE TABLE instruments (
    id        INTEGER PRIMARY KEY,
    symbol    TEXT    NOT NULL UNIQUE,
    name      TEXT    NOT NULL,
    kind      TEXT    NOT NULL CHECK (kind IN
                  ('index', 'currency', 'commodity', 'stock', 'bond_yield', 'crypto')),
    unit      TEXT    NOT NULL DEFAULT '',
    decimals  INTEGER NOT NULL DEFAULT 2,
    grp       TEXT    NOT NULL,
    position  INTEGER NOT NULL DEFAULT 0,
    in_ticker INTEGER NOT NULL DEFAULT 0
);

-- One row per instrument and day; the key is also the range-read index.
CREATE TABLE bars (
    instrument_id INTEGER NOT NULL REFERENCES instruments(id) ON DELETE CASCADE,
    day           TEXT    NOT NULL,
    open          REAL,
    high          REAL,
    low           REAL,
    close         REAL    NOT NULL,
    volume        REAL,
    source        TEXT    NOT NULL,
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (instrument_id, day)
) WITHOUT ROWID;
