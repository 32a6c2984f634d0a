DROP INDEX public.activities_idempotency_key;
ALTER TABLE public.activities DROP COLUMN idempotency_key;
