CREATE INDEX activities_created_at_idx ON public.activities (created_at DESC);
CREATE INDEX activities_user_uuid_idx ON public.activities (user_uuid);
CREATE INDEX activities_reply_to_idx ON public.activities (reply_to_activity_uuid)
    WHERE reply_to_activity_uuid IS NOT NULL;
DROP INDEX public.activities_replies_idx;
DROP INDEX public.activities_user_created_idx;
DROP INDEX public.activities_feed_idx;
