-- The home feed: activities joined to their authors, newest first.
-- $1: how many rows (1..100). Timestamps as microseconds since the epoch.
SELECT
  activities.uuid,
  activities.user_uuid,
  users.handle,
  users.display_name,
  activities.message,
  activities.replies_count,
  activities.reposts_count,
  activities.likes_count,
  activities.reply_to_activity_uuid,
  (extract(epoch FROM activities.expires_at) * 1000000)::bigint AS expires_at_us,
  (extract(epoch FROM activities.created_at) * 1000000)::bigint AS created_at_us
FROM public.activities
JOIN public.users ON users.uuid = activities.user_uuid
ORDER BY activities.created_at DESC
LIMIT $1
