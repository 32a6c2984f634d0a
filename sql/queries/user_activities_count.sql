-- UserActivities: how many activities of one user have not expired,
-- replies included (an activity without expires_at never expires).
-- $1: the user's uuid. Uses activities_user_created_idx.
SELECT count(*)
FROM public.activities
WHERE activities.user_uuid = $1::uuid
  AND (activities.expires_at IS NULL OR activities.expires_at > now())
