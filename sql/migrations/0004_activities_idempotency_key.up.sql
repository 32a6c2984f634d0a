-- CreateActivity and CreateReply take an idempotency key from the caller: a
-- retried call with the same author and key finds the first call's row
-- instead of inserting another.
ALTER TABLE public.activities
    ADD COLUMN idempotency_key text
        CONSTRAINT activities_idempotency_key_length CHECK (octet_length(idempotency_key) BETWEEN 1 AND 128);
CREATE UNIQUE INDEX activities_idempotency_key ON public.activities (user_uuid, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
