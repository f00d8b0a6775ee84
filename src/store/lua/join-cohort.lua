-- A user's next wake-up (src/store/wake-up-store.ts, docs/architecture.md "Wake-ups"): the marker
-- says when, and the user joins the cohort of that instant, unless its on-time run has already
-- taken the cohort's members (closed): then 0, and the caller gives the user a wake-up of their own.
-- KEYS[1] the user's marker, KEYS[2] the cohort of ARGV[1], KEYS[3] that cohort's closed flag,
-- KEYS[4] the cohort the user leaves (the previous marker's; KEYS[2] when none)
-- ARGV[1] the instant (epoch ms), ARGV[2] the user id, ARGV[3] how long the keys live (ms)
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
if KEYS[4] ~= KEYS[2] then redis.call('SREM', KEYS[4], ARGV[2]) end
if redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
redis.call('SADD', KEYS[2], ARGV[2])
if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[3]) then redis.call('PEXPIRE', KEYS[2], ARGV[3]) end
return 1
