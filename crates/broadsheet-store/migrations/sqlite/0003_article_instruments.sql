-- The market instruments a story concerns, by symbol (an instrument may be created later).
CREATE TABLE article_instruments (
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    symbol     TEXT    NOT NULL,
    position   INTEGER NOT NULL,
    PRIMARY KEY (article_id, symbol)
);
