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
  (extract(epoch FROM users.created_at) * 1000000)::bigint AS created_at_us,
  users.bio
FROM public.users
WHERE lower(users.handle) = lower($1::text)
