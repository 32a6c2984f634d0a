-- SeedBulk: every user, old and new (the caller's transaction sees the users
-- it has just copied in), for activities to pick their authors from.
SELECT uuid FROM public.users
