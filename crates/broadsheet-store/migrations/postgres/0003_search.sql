-- Moved: search on PostgreSQL creates its own tables (broadsheet-search,
-- migrations/postgres/0001_search.sql) when it opens. This version stays in the log so that
-- databases which applied it before the move and new ones agree on the store's version.
SELECT 1;
