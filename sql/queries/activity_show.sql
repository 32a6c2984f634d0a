-- @results: binary
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
  a.expires_at,
  a.created_at
FROM public.activities a
JOIN public.users u ON u.uuid = a.user_uuid
WHERE a.uuid = $1::uuid
  AND (a.expires_at IS NULL OR a.expires_at > now())
