-- @prepared: no
-- Ends every other client session on a database (before it is dropped, or
-- for KillSessions). $1: the database name. Returns how many were ended: a
-- session that exited on its own meanwhile is not counted.
SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))
FROM pg_stat_activity
WHERE datname = $1 AND pid <> pg_backend_pid() AND backend_type = 'client backend'
