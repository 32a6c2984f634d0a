-- @prepared: no
-- Client sessions on one database, from the maintenance database.
-- $1: the database name.
SELECT
  pid,
  coalesce(usename, ''),
  coalesce(datname, ''),
  coalesce(host(client_addr), ''),
  coalesce(application_name, ''),
  coalesce(state, '')
FROM pg_stat_activity
WHERE datname = $1 AND backend_type = 'client backend'
ORDER BY pid
