-- @results: binary
-- One user by uuid (the primary key).
-- $1: the uuid, already checked to be one.
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
WHERE users.uuid = $1::uuid
