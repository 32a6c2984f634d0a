-- Change notices for cruddurd's page cache (server/src/reads/feed_cache.h,
-- docs/PROTOCOL.md "Consistency"): every statement that changes activities, or
-- the users their pages show, calls pg_notify inside its transaction, so the
-- notice goes out when it commits (and never when it rolls back), whoever wrote:
-- a cruddurd, psql, a migration. The payload is the table's name; a cruddurd that
-- hears it drops its cached pages. pg_notify folds equal notices of one
-- transaction into one, so a bulk load sends one notice, not one per row.
-- cruddurd's listener checks that both triggers exist and are enabled before each
-- heartbeat counts (server.c), so the cache is bypassed when they are missing.
CREATE FUNCTION public.cruddur_feed_notify() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('cruddur_feed', TG_TABLE_NAME);
    RETURN NULL;
END
$$;

CREATE TRIGGER activities_feed_notify
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON public.activities
    FOR EACH STATEMENT EXECUTE FUNCTION public.cruddur_feed_notify();

-- A new user has no activity on any page; a renamed or deleted one changes them.
CREATE TRIGGER users_feed_notify
    AFTER UPDATE OR DELETE OR TRUNCATE ON public.users
    FOR EACH STATEMENT EXECUTE FUNCTION public.cruddur_feed_notify();
