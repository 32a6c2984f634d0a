-- @prepared: no
-- Whether the runner has ever run here (MigrationStatus must not create the table).
SELECT to_regclass('public.schema_migrations') IS NOT NULL
