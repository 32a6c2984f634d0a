-- @results: binary
-- The activity (or reply) that author $1 created with idempotency key $2,
-- with its author: what a retried CreateActivity / CreateReply returns.
-- Served by the unique index activities_idempotency_key (user_uuid,
-- idempotency_key WHERE idempotency_key IS NOT NULL). Expired or not: a
-- retry gets the first call's answer.
SELECT
  a.uuid,
  a.user_uuid,
  u.handle,
  u.display_name,
  a.message,
  a.replies_count,
  a.reposts_count,
  a.likes_count,
  a.reply_to_activity_uuid,
  a.expires_at,
  a.created_at
FROM public.activities a
JOIN public.users u ON u.uuid = a.user_uuid
WHERE a.user_uuid = $1::uuid AND a.idempotency_key = $2::text
