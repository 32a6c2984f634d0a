-- sql/seed.sql - sample data for development and tests: two users, one activity.
--
-- Load it right after sql/schema.sql (it expects empty tables: loading it twice breaks
-- the unique handle). Like schema.sql it holds no BEGIN/COMMIT: as one simple-query
-- string it runs as one implicit transaction.
--
-- The cognito ids differ because users.cognito_user_id is unique.

INSERT INTO public.users (display_name, handle, email, cognito_user_id)
VALUES
    ('Pop Goes the Weasel', 'hotwheels',         'hotwheels@example.com',  'MOCK'),
    ('Fifty Pence',         'getFullOrDieTryin', 'fiftypence@example.com', 'MOCK2');

INSERT INTO public.activities (user_uuid, message, expires_at)
VALUES (
    (SELECT uuid FROM public.users WHERE users.handle = 'hotwheels' LIMIT 1),
    'This was imported as seed data',
    current_timestamp + interval '10 day'
);
