-- One user by uuid (the primary key).
-- $1: the uuid, already checked to be one.
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
WHERE users.uuid = $1::uuid
