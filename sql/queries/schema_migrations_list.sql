-- @prepared: no
-- Every applied migration, oldest first; the last row is the current version.
SELECT version, name, (extract(epoch FROM applied_at) * 1000000)::bigint
FROM public.schema_migrations
ORDER BY version
