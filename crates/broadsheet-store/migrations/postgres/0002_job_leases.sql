-- Leases on recurring jobs that must run on one node at a time (market polling, the daily
-- digest's composition): a node holds a job until `until` (Unix seconds) and renews it while
-- it works; a node that dies lets its lease run out and another takes the job over.
CREATE TABLE job_leases (
    job    TEXT    PRIMARY KEY,
    holder TEXT    NOT NULL,
    until  BIGINT  NOT NULL
);
