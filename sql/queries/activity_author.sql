-- The author of a new activity or reply, named by exactly one of
--   $1 handle (any case), $2 uuid, $3 cognito_user_id
-- with NULL for the two not given. Its cognito_user_id is for the check that a
-- verified user writes as themselves (svc/user_ref.h). Each branch is one index lookup
-- (users_handle_lower_key, users_pkey, the cognito_user_id key); a branch
-- whose parameter is NULL finds nothing, so one prepared statement serves the
-- three ways of naming a user.
SELECT uuid, handle, display_name, cognito_user_id FROM public.users WHERE lower(handle) = lower($1::text)
UNION ALL
SELECT uuid, handle, display_name, cognito_user_id FROM public.users WHERE uuid = $2::uuid
UNION ALL
SELECT uuid, handle, display_name, cognito_user_id FROM public.users WHERE cognito_user_id = $3::text
LIMIT 1
