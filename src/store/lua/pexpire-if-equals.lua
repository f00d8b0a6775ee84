-- Renew a lease only while it is still ours (the heartbeat of a sync, docs/architecture.md "One
-- user, one writer"): a holder whose time ran out learns it here (0) and must not write.
-- KEYS[1] the lease key; ARGV[1] the holder's token, ARGV[2] the new time to live in ms
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
