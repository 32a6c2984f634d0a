-- ShowActivity: activity $1 with its author, unless it has expired
-- (activities_pkey).
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
  (extract(epoch FROM a.expires_at) * 1000000)::bigint AS expires_at_us,
  (extract(epoch FROM a.created_at) * 1000000)::bigint AS created_at_us
FROM public.activities a
JOIN public.users u ON u.uuid = a.user_uuid
WHERE a.uuid = $1::uuid
  AND (a.expires_at IS NULL OR a.expires_at > now())
