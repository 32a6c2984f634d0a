-- One user by the Cognito "sub" that signed them up (unique).
-- $1: the cognito_user_id.
-- Columns: the seven of a User, as in user_by_handle.sql.
SELECT
  users.uuid,
  users.display_name,
  users.handle,
  users.email,
  users.cognito_user_id,
  (extract(epoch FROM users.created_at) * 1000000)::bigint AS created_at_us,
  users.bio
FROM public.users
WHERE users.cognito_user_id = $1::text
