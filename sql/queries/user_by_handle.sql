-- @results: binary
-- One user by handle, ignoring case (handles are unique that way, and
-- lower(handle) is what users_handle_lower_key indexes).
-- $1: the handle.
-- Columns: the seven of a User, in the order svc_users.c reads them.
SELECT
  users.uuid,
  users.display_name,
  users.handle,
  users.email,
  users.cognito_user_id,
  users.created_at,
  users.bio
FROM public.users
WHERE lower(users.handle) = lower($1::text)
