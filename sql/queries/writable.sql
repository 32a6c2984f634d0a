-- Health: does the database answer, and does it take writes (not a standby,
-- not default_transaction_read_only, which would fail every write with 25006).
SELECT NOT pg_is_in_recovery() AND current_setting('transaction_read_only') = 'off'
