-- @results: binary
-- ShowActivity's replies: those to activity $1 that have not expired, with
-- their authors, oldest first: the order of activities_replies_idx
-- (reply_to_activity_uuid, created_at, uuid WHERE reply_to_activity_uuid IS
-- NOT NULL), so no sort. At most the first 1000 are returned, which bounds
-- the response (1000 replies of up to 1024 characters: a few MiB at worst);
-- the 1001st only tells ShowActivity that there are more.
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
WHERE a.reply_to_activity_uuid = $1::uuid
  AND (a.expires_at IS NULL OR a.expires_at > now())
ORDER BY a.created_at, a.uuid
LIMIT 1001
