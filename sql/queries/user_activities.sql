-- @results: binary
-- UserActivities: one page of a user's activities that have not expired,
-- replies included, newest first, keyset-paged by (created_at, uuid) like
-- the home feed (see server/src/svc/cursor.h).
-- $1: the user's uuid;
-- $2, $3: the key of the last row of the previous page, as microseconds
--         since the epoch and uuid; for the first page the sentinel
--         253402300799999999 (year 9999) and ffffffff-ffff-ffff-ffff-ffffffffffff,
--         so that one generic plan serves every page;
-- $4: how many rows (the page size plus one, to know whether more follow).
-- Walks activities_user_created_idx (user_uuid, created_at DESC, uuid DESC)
-- from the cursor on and stops after $4 rows.
-- Columns: the eleven standard activity columns (rows.h).
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
  activities.expires_at,
  activities.created_at
FROM public.activities
JOIN public.users ON users.uuid = activities.user_uuid
WHERE activities.user_uuid = $1::uuid
  AND (activities.created_at, activities.uuid)
      < ('epoch'::timestamptz + $2::bigint * interval '1 microsecond', $3::uuid)
  AND (activities.expires_at IS NULL OR activities.expires_at > now())
ORDER BY activities.created_at DESC, activities.uuid DESC
LIMIT $4::bigint
