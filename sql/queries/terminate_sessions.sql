-- Ends every other session on a database so that it can be dropped.
-- $1: the database name. Returns how many were ended.
SELECT count(pg_terminate_backend(pid))
FROM pg_stat_activity
WHERE datname = $1 AND pid <> pg_backend_pid()
