-- @results: binary
-- One user by the Cognito "sub" that signed them up (unique).
-- $1: the cognito_user_id.
-- Columns: the seven of a User, as in user_by_handle.sql.
SELECT
  users.uuid,
  users.display_name,
  users.handle,
  users.email,
  users.cognito_user_id,
  users.created_at,
  users.bio
FROM public.users
WHERE users.cognito_user_id = $1::text
