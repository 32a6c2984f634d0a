-- @results: binary
-- The home feed: top-level activities that have not expired, joined to their
-- authors, newest first, one keyset page at a time.
--   $1 the page key's created_at, microseconds since the epoch
--   $2 the page key's uuid
--   $3 how many rows: the page's limit + 1 (the extra row says whether
--      there is a next page)
-- The first page passes the sentinel key (253402300799999999,
-- 'ffffffff-ffff-ffff-ffff-ffffffffffff'), later key after every row, so that
-- this one statement serves every page and its generic plan is the same
-- forward scan of activities_feed_idx (created_at DESC, uuid DESC WHERE
-- reply_to_activity_uuid IS NULL), started at the key and stopped by LIMIT.
-- Expired rows are filtered on the way; they are a minority near the top.
-- The server asks for this statement's results in binary format, as for
-- every query of activity rows, so the timestamps are sent as they are
-- stored (microseconds), with no text conversion.
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
WHERE a.reply_to_activity_uuid IS NULL
  AND (a.expires_at IS NULL OR a.expires_at > now())
  AND (a.created_at, a.uuid) <
      ('epoch'::timestamptz + $1::bigint * interval '1 microsecond', $2::uuid)
ORDER BY a.created_at DESC, a.uuid DESC
LIMIT $3::integer
