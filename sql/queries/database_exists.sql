-- @prepared: no
-- $1: the database name. One row when it exists.
SELECT 1 FROM pg_database WHERE datname = $1
