-- @results: binary
-- CreateActivity's insert, returning the activity with its author.
--   $1 author uuid, $2 message, $3 time to live (an interval: '7 days'),
--   $4 idempotency key (NULL: none)
-- created_at is clock_timestamp(), not now(): rows are ordered by when they
-- were written, not by when their transaction began, and expires_at is
-- exactly created_at + ttl. A key the author already used inserts nothing
-- and returns no row (the caller then reads the first row by its key); a
-- concurrent insert with the same key waits for the other to commit or
-- roll back, so exactly one of them inserts.
WITH ins AS (
  INSERT INTO public.activities (user_uuid, message, expires_at, created_at, idempotency_key)
  SELECT $1::uuid, $2::text, t.now + $3::interval, t.now, $4::text
  FROM (SELECT clock_timestamp() AS now) t
  ON CONFLICT (user_uuid, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
  RETURNING *
)
SELECT
  ins.uuid,
  ins.user_uuid,
  u.handle,
  u.display_name,
  ins.message,
  ins.replies_count,
  ins.reposts_count,
  ins.likes_count,
  ins.reply_to_activity_uuid,
  ins.expires_at,
  ins.created_at
FROM ins
JOIN public.users u ON u.uuid = ins.user_uuid
