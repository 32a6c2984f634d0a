ALTER TABLE public.activities DROP CONSTRAINT activities_message_length;
