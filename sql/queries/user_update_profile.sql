-- @results: binary
-- UpdateProfile: the display name and/or bio of one user.
-- $1: the user's uuid; $2: the new display_name or NULL to keep it;
-- $3: the new bio or NULL to keep it.
-- No row when the user is gone. Columns: the seven of a User, as in
-- user_by_handle.sql.
UPDATE public.users
SET
  display_name = COALESCE($2::text, users.display_name),
  bio = COALESCE($3::text, users.bio)
WHERE users.uuid = $1::uuid
RETURNING
  users.uuid,
  users.display_name,
  users.handle,
  users.email,
  users.cognito_user_id,
  users.created_at,
  users.bio
