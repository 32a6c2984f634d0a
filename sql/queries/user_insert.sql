-- @results: binary
-- CreateUser: a new user, unless one with this cognito_user_id exists.
-- $1: display_name, $2: handle, $3: email, $4: cognito_user_id.
--
-- A second sign-up with the same cognito_user_id inserts nothing and
-- returns no row (the caller then reads the existing user), also when the
-- two run at once: cognito_user_id is the arbiter of ON CONFLICT, so
-- PostgreSQL waits for the other insert and then does nothing. A handle
-- taken by another user fails with 23505 on users_handle_lower_key.
-- Columns: the seven of a User, as in user_by_handle.sql.
INSERT INTO public.users (display_name, handle, email, cognito_user_id)
VALUES ($1::text, $2::text, $3::text, $4::text)
ON CONFLICT (cognito_user_id) DO NOTHING
RETURNING
  users.uuid,
  users.display_name,
  users.handle,
  users.email,
  users.cognito_user_id,
  users.created_at,
  users.bio
