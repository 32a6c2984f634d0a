-- sql/schema.sql - the cruddur schema (PostgreSQL 15).
--
-- Loading it DROPS and re-creates every table: all data is lost. It may be loaded any
-- number of times in a row. It holds no BEGIN/COMMIT so that the caller owns the
-- transaction: sent as one simple-query string (PQexec) it runs as one implicit
-- transaction, all or nothing; with psql use `psql -1 -v ON_ERROR_STOP=1 -f`.
--
-- Fixes over the original Flask app's schema:
--   * gen_random_uuid() (built in since PostgreSQL 13): no uuid-ossp extension;
--   * created_at everywhere (one version had users.create_at), timestamptz throughout;
--   * activities.user_uuid is a foreign key to users, ON DELETE CASCADE;
--   * reply_to_activity_uuid is a UUID (it was an integer) referencing activities;
--   * handles are unique ignoring case, cognito_user_id is unique, users gain email;
--   * counters are NOT NULL and never negative;
--   * indexes for the home feed (ORDER BY created_at DESC) and per-user lookups.
--
-- Queries that look a user up by handle should say `lower(handle) = lower($1)` so that
-- they use users_handle_lower_key.

-- DROP ... IF EXISTS prints a NOTICE when the table is missing; keep that out of the
-- caller's stderr. SET LOCAL ends with the transaction, so a pooled connection keeps its
-- own settings.
SET LOCAL client_min_messages = warning;

-- Children first; CASCADE also takes any view or constraint that still points at them.
DROP TABLE IF EXISTS public.activities CASCADE;
DROP TABLE IF EXISTS public.users CASCADE;
-- The baseline has no migrations applied: the database is at version 0.
DROP TABLE IF EXISTS public.schema_migrations;

CREATE TABLE public.users (
    uuid            uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    display_name    text,
    handle          text        NOT NULL,
    email           text,
    cognito_user_id text        UNIQUE,
    created_at      timestamptz NOT NULL DEFAULT current_timestamp
);

-- Handles are unique ignoring case: 'HotWheels' and 'hotwheels' are the same user.
CREATE UNIQUE INDEX users_handle_lower_key ON public.users (lower(handle));

CREATE TABLE public.activities (
    uuid                   uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_uuid              uuid        NOT NULL
                                       REFERENCES public.users (uuid) ON DELETE CASCADE,
    message                text        NOT NULL,
    replies_count          integer     NOT NULL DEFAULT 0 CHECK (replies_count >= 0),
    reposts_count          integer     NOT NULL DEFAULT 0 CHECK (reposts_count >= 0),
    likes_count            integer     NOT NULL DEFAULT 0 CHECK (likes_count >= 0),
    -- A reply disappears with the activity it answers (and so with that activity's
    -- author): without CASCADE here, deleting a user whose posts have replies from
    -- other users would fail.
    reply_to_activity_uuid uuid        REFERENCES public.activities (uuid) ON DELETE CASCADE
                                       CHECK (reply_to_activity_uuid <> uuid),
    expires_at             timestamptz,
    created_at             timestamptz NOT NULL DEFAULT current_timestamp
);

-- Home feed: newest first.
CREATE INDEX activities_created_at_idx ON public.activities (created_at DESC);
-- A user's activities, and the ON DELETE CASCADE from users.
CREATE INDEX activities_user_uuid_idx ON public.activities (user_uuid);
-- Replies to an activity, and the ON DELETE CASCADE from activities.
CREATE INDEX activities_reply_to_idx ON public.activities (reply_to_activity_uuid)
    WHERE reply_to_activity_uuid IS NOT NULL;
