-- One more reply to $1: run in the transaction that inserted the reply, so
-- the count and the replies never disagree. The row lock it takes also
-- serializes concurrent replies to the same parent.
UPDATE public.activities SET replies_count = replies_count + 1 WHERE uuid = $1::uuid
