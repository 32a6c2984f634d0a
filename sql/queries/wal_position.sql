-- After a write commits: the primary's WAL position, at or past the end of the write's
-- commit record, as a write response's consistency_token (pg_lsn text, 16/B374D848).
SELECT pg_current_wal_insert_lsn()::text
