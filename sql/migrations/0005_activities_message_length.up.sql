-- Messages are 1 to 280 characters, replies 1 to 1024, as CreateActivity and
-- CreateReply check; the database holds to it for every other writer.
ALTER TABLE public.activities
    ADD CONSTRAINT activities_message_length CHECK (
        char_length(message) >= 1 AND
        char_length(message) <= CASE WHEN reply_to_activity_uuid IS NULL THEN 280 ELSE 1024 END);
