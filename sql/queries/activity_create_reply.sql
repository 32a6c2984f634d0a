-- @results: binary
-- CreateReply's insert, returning the reply with its author.
--   $1 parent uuid, $2 author uuid, $3 message, $4 idempotency key (NULL: none)
-- The reply expires with its parent. No row comes back when the parent does
-- not exist or has expired, or when the author already used the key (the
-- caller tells the two apart by reading the key's row). The parent's
-- replies_count is incremented by activity_count_reply.sql in the same
-- transaction, only when a row was inserted.
WITH ins AS (
  INSERT INTO public.activities
    (user_uuid, message, reply_to_activity_uuid, expires_at, created_at, idempotency_key)
  SELECT $2::uuid, $3::text, p.uuid, p.expires_at, clock_timestamp(), $4::text
  FROM public.activities p
  WHERE p.uuid = $1::uuid
    AND (p.expires_at IS NULL OR p.expires_at > now())
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
