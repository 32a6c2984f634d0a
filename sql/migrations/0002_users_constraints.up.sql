-- What CreateUser checks, the database enforces too: a display name of 1 to
-- 100 characters, a handle of 1 to 32 letters, digits or underscores, and a
-- cognito_user_id on every user (the sign-up hook always has one).
ALTER TABLE public.users
    ALTER COLUMN display_name SET NOT NULL,
    ALTER COLUMN cognito_user_id SET NOT NULL,
    ADD CONSTRAINT users_display_name_length CHECK (char_length(display_name) BETWEEN 1 AND 100),
    ADD CONSTRAINT users_handle_format CHECK (handle ~ '^[A-Za-z0-9_]{1,32}$');
