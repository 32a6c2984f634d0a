-- Profiles get a bio (UpdateProfile), at most 500 characters.
ALTER TABLE public.users
    ADD COLUMN bio text NOT NULL DEFAULT '' CONSTRAINT users_bio_length CHECK (char_length(bio) <= 500);
