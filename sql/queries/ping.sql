-- Health: does the database answer.
SELECT 1
