-- @prepared: no
-- Records an applied migration, in the same transaction as its up file.
-- $1: version, $2: name.
INSERT INTO public.schema_migrations (version, name) VALUES ($1::integer, $2::text)
