-- Indexes shaped like the queries in sql/queries, which page by the key
-- (created_at, uuid):
--   home feed:   top-level activities, newest first;
--   profile:     one user's activities, newest first (also serves the
--                foreign key's ON DELETE CASCADE from users);
--   show:        replies to one activity, oldest first (also serves the
--                self-referencing foreign key).
-- They replace the single-column indexes of schema.sql.
CREATE INDEX activities_feed_idx ON public.activities (created_at DESC, uuid DESC)
    WHERE reply_to_activity_uuid IS NULL;
CREATE INDEX activities_user_created_idx ON public.activities (user_uuid, created_at DESC, uuid DESC);
CREATE INDEX activities_replies_idx ON public.activities (reply_to_activity_uuid, created_at, uuid)
    WHERE reply_to_activity_uuid IS NOT NULL;
DROP INDEX public.activities_created_at_idx;
DROP INDEX public.activities_user_uuid_idx;
DROP INDEX public.activities_reply_to_idx;
