ALTER TABLE public.users
    DROP CONSTRAINT users_handle_format,
    DROP CONSTRAINT users_display_name_length,
    ALTER COLUMN cognito_user_id DROP NOT NULL,
    ALTER COLUMN display_name DROP NOT NULL;
