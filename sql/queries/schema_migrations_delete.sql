-- @prepared: no
-- Forgets a rolled-back migration, in the same transaction as its down file.
-- $1: version. Returns the row it removed, so the caller can check there was one.
DELETE FROM public.schema_migrations WHERE version = $1::integer RETURNING version
