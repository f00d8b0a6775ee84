-- The on-time run of a cohort takes its members and closes it in one step, so that a user who
-- joins later is told so (join-cohort.lua returns 0) instead of waiting for a run that is over.
-- KEYS[1] the cohort, KEYS[2] its closed flag; ARGV[1] how long the flag lives (ms)
redis.call('SET', KEYS[2], '1', 'PX', ARGV[1])
return redis.call('SMEMBERS', KEYS[1])
