-- SeedBulk: the database's clock, in microseconds since the epoch. Seeded
-- timestamps are relative to it (not to cruddurd's clock), so that "in the
-- last 30 days" and "expires in at least a day" hold for the feed's now().
-- now() is the transaction's start, the same for every row of one call.
SELECT (extract(epoch FROM now()) * 1000000)::bigint AS now_us
