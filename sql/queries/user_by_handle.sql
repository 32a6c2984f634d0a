-- One user by handle, case-insensitively (handles are unique that way).
-- $1: the handle.
SELECT
  users.uuid,
  users.display_name,
  users.handle,
  users.email,
  users.cognito_user_id,
  (extract(epoch FROM users.created_at) * 1000000)::bigint AS created_at_us
FROM public.users
WHERE lower(users.handle) = lower($1)
