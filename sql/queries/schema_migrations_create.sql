-- @prepared: no
-- The migration runner's bookkeeping: one row per applied migration of
-- sql/migrations (see docs/MIGRATIONS.md). Created by the runner, under its
-- advisory lock, before it reads the current version.
CREATE TABLE IF NOT EXISTS public.schema_migrations (
  version    integer     PRIMARY KEY CHECK (version > 0),
  name       text        NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)
